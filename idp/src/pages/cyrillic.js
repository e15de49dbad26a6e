(function () {
  var field = document.getElementById('registry-number');
  var keys = document.getElementById('cyr-keys');
  var copy = document.getElementById('cyr-copy');
  var live = document.getElementById('cyr-live');
  if (!field || !keys) return;
  keys.hidden = false;
  if (copy) copy.hidden = true;
  keys.addEventListener('click', function (event) {
    var letter = event.target.getAttribute && event.target.getAttribute('data-letter');
    if (!letter) return;
    var value = field.value;
    var start = typeof field.selectionStart === 'number' ? field.selectionStart : value.length;
    var end = typeof field.selectionEnd === 'number' ? field.selectionEnd : start;
    field.value = value.slice(0, start) + letter + value.slice(end);
    try { field.setSelectionRange(start + 1, start + 1); } catch (e) {}
    if (live) live.textContent = field.value;
  });
})();
