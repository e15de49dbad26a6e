//! Demo data of the embedded default: a few citizens who are obviously not real, so that a
//! first run can log in without a registry extract. Production refuses to start with demo data
//! on (see [`crate::config`]).

use crate::citizens::{
    Address, CitizenDirectory, CitizenRecord, CitizenStatus, Gender, PhoneNumber, RegistryNumber,
    UpsertOutcome,
};
use crate::database::StorageError;

/// The registry numbers of the demo citizens, each with a name that says it is a demo.
pub const DEMO_CITIZENS: [(&str, &str, Gender, &str); 3] = [
    ("УБ90010112", "Демо-Бат", Gender::Male, "+97699000001"),
    ("ДА85122324", "Демо-Сараа", Gender::Female, "+97699000002"),
    ("ЧД05231456", "Демо-Тэмүүлэн", Gender::Male, "+97699000003"),
];

/// The demo citizens as records.
pub fn demo_records() -> Vec<CitizenRecord> {
    DEMO_CITIZENS
        .iter()
        .filter_map(|(rn, given, gender, phone)| {
            let registry_number = RegistryNumber::parse(rn).ok()?;
            Some(CitizenRecord {
                birth_date: registry_number.birth_date(),
                registry_number,
                family_name: "Туршилт".to_owned(),
                given_name: (*given).to_owned(),
                clan_name: None,
                gender: *gender,
                phone_numbers: vec![PhoneNumber::parse(phone).ok()?],
                email: None,
                address: Address {
                    aimag: Some("Улаанбаатар".to_owned()),
                    soum: Some("Сүхбаатар".to_owned()),
                    bag: Some("1-р хороо".to_owned()),
                    text: Some("Демо гудамж 1".to_owned()),
                },
                status: CitizenStatus::Active,
            })
        })
        .collect()
}

/// Stores the demo citizens (idempotent: a restart changes nothing).
pub async fn seed(directory: &dyn CitizenDirectory) -> Result<UpsertOutcome, StorageError> {
    directory.upsert_batch(&demo_records()).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_demo_citizen_is_valid() {
        assert_eq!(super::demo_records().len(), super::DEMO_CITIZENS.len());
    }
}
