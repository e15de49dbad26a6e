(function () {
  'use strict';
  // Forms marked data-webauthn="get" or "create" carry the server's WebAuthn options (JSON,
  // binary fields as base64url) in data-options. On submit the browser's passkey ceremony
  // runs; its answer goes back in the hidden "credential" field as JSON (base64url again).
  var forms = document.querySelectorAll('form[data-webauthn]');
  if (!forms.length) return;
  var supported = !!(window.PublicKeyCredential && navigator.credentials);
  function toBuffer(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }
  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function ids(list) {
    return (list || []).map(function (c) {
      var copy = {};
      for (var k in c) copy[k] = c[k];
      copy.id = toBuffer(c.id);
      return copy;
    });
  }
  function publicKey(form) {
    var options = JSON.parse(form.getAttribute('data-options')).publicKey;
    options.challenge = toBuffer(options.challenge);
    if (options.user) options.user.id = toBuffer(options.user.id);
    if (options.excludeCredentials) options.excludeCredentials = ids(options.excludeCredentials);
    if (options.allowCredentials) options.allowCredentials = ids(options.allowCredentials);
    return options;
  }
  function encode(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return JSON.stringify({
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: response,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {}
    });
  }
  function status(form, text) {
    var box = form.querySelector('[data-webauthn-status]');
    if (box) { box.textContent = text; box.hidden = !text; }
  }
  var waiting = null;
  function run(form, mediation) {
    var kind = form.getAttribute('data-webauthn');
    var request = { publicKey: publicKey(form) };
    if (mediation) request.mediation = mediation;
    if (kind === 'get') {
      if (waiting) waiting.abort();
      waiting = new AbortController();
      request.signal = waiting.signal;
    }
    var ceremony = kind === 'create'
      ? navigator.credentials.create(request)
      : navigator.credentials.get(request);
    return ceremony.then(function (credential) {
      if (!credential) return;
      form.querySelector('input[name="credential"]').value = encode(credential);
      form.submit();
    });
  }
  Array.prototype.forEach.call(forms, function (form) {
    var hidden = form.querySelectorAll('[data-webauthn-show]');
    if (!supported) {
      status(form, form.getAttribute('data-unsupported') || '');
      return;
    }
    Array.prototype.forEach.call(hidden, function (el) { el.hidden = false; });
    form.addEventListener('submit', function (event) {
      if (form.querySelector('input[name="credential"]').value) return;
      event.preventDefault();
      status(form, '');
      run(form, null).catch(function (error) {
        if (error && error.name === 'AbortError') return;
        status(form, form.getAttribute('data-failed') || String(error));
      });
    });
    if (form.getAttribute('data-conditional') === '1' && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) run(form, 'conditional').catch(function () {});
      });
    }
  });
})();
