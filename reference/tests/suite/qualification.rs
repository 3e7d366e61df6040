//! The qualification mdoc through the in-memory world (spec/qualification.md):
//! issued with the certificates, read with selective disclosure, its status
//! the auth certificate's.

#![allow(clippy::unwrap_used)] // a test helper outside #[test] functions

use jpki_reference::Code;
use jpki_reference::device::UserVerification;
use jpki_reference::msgs::lifecycle::HolderAction;
use jpki_reference::pki::{HolderAttributes, Sex};
use jpki_reference::time::CivilDate;
use jpki_reference::world::{IssueParams, LifecycleParams, SHOP_RP, World};

fn world_with_mdocs(count: usize) -> World {
    let mut w = World::new([7; 32]).unwrap();
    let attributes = HolderAttributes {
        name: "山田 太郎".into(),
        address: "東京都千代田区1-1".into(),
        date_of_birth: CivilDate::new(1980, 1, 2).unwrap(),
        sex: Sex::Male,
    };
    w.add_holder("taro", attributes).unwrap();
    w.add_device("phone");
    w.issue("taro", "phone", &IssueParams { qualification: count, ..IssueParams::both(1) }).unwrap();
    w
}

#[test]
fn a_reader_learns_only_what_it_asked_and_the_holder_approved() {
    // QUA-002, QUA-005, QUA-009 … QUA-014
    let mut w = world_with_mdocs(2);
    let request = w.mdoc_request(SHOP_RP, &["insurer_name", "qualified"]).unwrap();
    let approved = ["insurer_name", "qualified", "insurer_number"];
    let presentation = w.present_mdoc("phone", &request, &approved, UserVerification::BIOMETRIC).unwrap();
    let reading = w.verify_mdoc(SHOP_RP, &presentation).unwrap();
    assert_eq!(reading.elements.keys().collect::<Vec<_>>(), ["insurer_name", "qualified"]);
    assert_eq!(reading.elements["qualified"], ciborium::Value::Bool(true));
    assert!(w.violations().is_empty(), "{:?}", w.violations());
    // the same presentation again: the session is spent (QUA-008)
    assert_eq!(w.verify_mdoc(SHOP_RP, &presentation).unwrap_err().code(), Code::NonceReused);
}

#[test]
fn no_consent_no_release_and_a_hold_reaches_the_mdoc() {
    // QUA-005, QUA-003, QUA-014
    let mut w = world_with_mdocs(1);
    let request = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let refused = w.present_mdoc("phone", &request, &[], UserVerification::BIOMETRIC).unwrap_err();
    assert_eq!(refused.code(), Code::ConsentDeclined);
    w.holder_action("taro", HolderAction::Suspend, &LifecycleParams::with_key(3)).unwrap();
    let request = w.mdoc_request(SHOP_RP, &["qualified"]).unwrap();
    let presentation = w.present_mdoc("phone", &request, &["qualified"], UserVerification::BIOMETRIC).unwrap();
    assert_eq!(w.verify_mdoc(SHOP_RP, &presentation).unwrap_err().code(), Code::CertSuspended);
}
