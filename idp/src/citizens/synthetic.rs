//! Synthetic citizens for tests, demos and benchmarks: seeded, reproducible, unique registry
//! numbers, and names that nobody could mistake for real ones (every family name is "Жишээ…",
//! "example", and every given name ends in "-Туршилт", "test").
//!
//! Registry numbers are drawn without repetition by an affine permutation of the whole number
//! space (letter pair × birth day 1940–2019 × two-digit serial), so a million of them cost no
//! memory to keep unique. The second-to-last digit is odd for men and even for women, as in the
//! registry's own convention.

use std::io::Write;

use chrono::{Datelike, Days, NaiveDate};

use super::import::{COLUMNS, Format};

/// The 35 letters of the Mongolian Cyrillic alphabet.
const LETTERS: [char; 35] = [
    'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ё', 'Ж', 'З', 'И', 'Й', 'К', 'Л', 'М', 'Н', 'О', 'Ө', 'П', 'Р',
    'С', 'Т', 'У', 'Ү', 'Ф', 'Х', 'Ц', 'Ч', 'Ш', 'Щ', 'Ъ', 'Ы', 'Ь', 'Э', 'Ю', 'Я',
];
const FIRST_BIRTH: (i32, u32, u32) = (1940, 1, 1);
const BIRTH_DAYS: u64 = 29_219; // 1940-01-01 ..= 2019-12-31
const SERIALS: u64 = 100;
const SPACE: u64 = (LETTERS.len() * LETTERS.len()) as u64 * BIRTH_DAYS * SERIALS;

const GIVEN: [&str; 16] = [
    "Бат",
    "Болд",
    "Сараа",
    "Номин",
    "Тэмүүлэн",
    "Ану",
    "Ганаа",
    "Цэцэг",
    "Эрдэнэ",
    "Оюун",
    "Мөнх",
    "Үүрээ",
    "Дорж",
    "Солонго",
    "Ган",
    "Нараа",
];
const SYLLABLES: [&str; 12] = [
    "бат", "дэл", "гэр", "мөр", "нар", "сар", "тал", "ууд", "хан", "цэн", "чул", "өрх",
];
const AIMAGS: [&str; 6] = [
    "Улаанбаатар",
    "Архангай",
    "Дорнод",
    "Ховд",
    "Сэлэнгэ",
    "Өмнөговь",
];
const SOUMS: [&str; 5] = ["Баянзүрх", "Сүхбаатар", "Хан-Уул", "Чингэлтэй", "Төв сум"];

/// A small, fast, seeded generator (SplitMix64): reproducible across platforms and versions.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A generated citizen, as the strings of a CSV row (in [`COLUMNS`] order).
fn row(index: u64, multiplier: u64, offset: u64, rng: &mut SplitMix64) -> [String; 13] {
    let slot = ((u128::from(index) * u128::from(multiplier) + u128::from(offset))
        % u128::from(SPACE)) as u64;
    let serial = slot % SERIALS;
    let day = (slot / SERIALS) % BIRTH_DAYS;
    let pair = slot / (SERIALS * BIRTH_DAYS);
    let (y, m, d) = FIRST_BIRTH;
    let birth = NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|start| start.checked_add_days(Days::new(day)))
        .unwrap_or_default();
    let month = if birth.year() >= 2000 {
        birth.month() + 20
    } else {
        birth.month()
    };
    let (year, dom) = (birth.year() % 100, birth.day());
    let letters: String = [LETTERS[(pair / 35) as usize], LETTERS[(pair % 35) as usize]]
        .iter()
        .collect();
    let registry_number = format!("{letters}{year:02}{month:02}{dom:02}{serial:02}");
    let male = (serial / 10) % 2 == 1;
    let given = format!("{}-Туршилт", rng.pick(&GIVEN));
    let family = format!("Жишээ{}{}", rng.pick(&SYLLABLES), rng.pick(&SYLLABLES));
    let phone = format!("+97699{:06}", rng.next() % 1_000_000);
    let email = if index.is_multiple_of(3) {
        format!("citizen{index}@example.org")
    } else {
        String::new()
    };
    let status = if rng.next().is_multiple_of(100) {
        "deceased"
    } else {
        "active"
    };
    [
        registry_number,
        family,
        given,
        rng.pick(&["Боржигон", "Хиад", "Тайчууд", ""]).to_owned(),
        birth.to_string(),
        if male { "male" } else { "female" }.to_owned(),
        phone,
        email,
        rng.pick(&AIMAGS).to_owned(),
        rng.pick(&SOUMS).to_owned(),
        format!("{}-р хороо", rng.next() % 20 + 1),
        format!("Туршилтын гудамж {}", rng.next() % 200 + 1),
        status.to_owned(),
    ]
}

/// Writes `count` synthetic citizens to `out`, reproducibly for a given `seed`.
pub fn generate(count: u64, seed: u64, format: Format, out: impl Write) -> std::io::Result<()> {
    if count > SPACE {
        return Err(std::io::Error::other(format!(
            "at most {SPACE} distinct citizens can be generated"
        )));
    }
    let mut rng = SplitMix64(seed);
    let mut multiplier = (rng.next() % SPACE) | 1;
    while gcd(multiplier, SPACE) != 1 {
        multiplier += 2;
    }
    let offset = rng.next() % SPACE;
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(COLUMNS)?;
            for index in 0..count {
                writer.write_record(row(index, multiplier, offset, &mut rng))?;
            }
            writer.flush()
        }
        Format::Jsonl => {
            let mut out = std::io::BufWriter::new(out);
            for index in 0..count {
                let [
                    rn,
                    family,
                    given,
                    clan,
                    birth,
                    gender,
                    phone,
                    email,
                    aimag,
                    soum,
                    bag,
                    text,
                    status,
                ] = row(index, multiplier, offset, &mut rng);
                let mut object = serde_json::json!({
                    "registry_number": rn, "family_name": family, "given_name": given,
                    "birth_date": birth, "gender": gender, "phone_numbers": [phone],
                    "address": {"aimag": aimag, "soum": soum, "bag": bag, "text": text},
                    "status": status,
                });
                if !clan.is_empty() {
                    object["clan_name"] = clan.into();
                }
                if !email.is_empty() {
                    object["email"] = email.into();
                }
                serde_json::to_writer(&mut out, &object)?;
                out.write_all(b"\n")?;
            }
            out.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::citizens::RegistryNumber;

    #[test]
    fn generated_registry_numbers_are_valid_unique_and_reproducible() {
        let mut first = Vec::new();
        generate(5_000, 42, Format::Csv, &mut first).unwrap();
        let mut again = Vec::new();
        generate(5_000, 42, Format::Csv, &mut again).unwrap();
        assert_eq!(first, again, "the same seed gives the same file");
        let mut other = Vec::new();
        generate(5_000, 43, Format::Csv, &mut other).unwrap();
        assert_ne!(first, other);

        let mut reader = csv::Reader::from_reader(first.as_slice());
        let mut seen = HashSet::new();
        for record in reader.records() {
            let record = record.unwrap();
            let rn = RegistryNumber::parse(&record[0]).unwrap();
            assert_eq!(rn.birth_date().to_string(), &record[4]);
            assert!(record[2].ends_with("-Туршилт"));
            assert!(
                seen.insert(rn.as_str().to_owned()),
                "duplicate {}",
                &record[0]
            );
        }
        assert_eq!(seen.len(), 5_000);
    }
}
