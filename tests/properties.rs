//! Properties that hold for any input, checked with proptest in the normal test run.

use eula_gate::Product;
use eula_gate::license::{License, sanitize};
use eula_gate::normalize;
use eula_gate::product::Context;
use eula_gate::receipt::{Acceptance, AcceptedBy, Host, Method, PolicyRef, check, to_file_bytes};
use eula_gate::store::{ReceiptStore, Stored};
use proptest::prelude::*;

fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "[ -~\t\r\n\u{feff}\u{1b}\u{202e}\u{9b}é許]{0,200}".prop_map(String::into_bytes),
    ]
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

proptest! {
    #[test]
    fn normalization_is_idempotent(raw in text_bytes()) {
        if let Ok(once) = normalize(&raw) {
            prop_assert_eq!(normalize(once.as_bytes()), Ok(once.clone()));
            prop_assert!(once.ends_with('\n') && !once.ends_with("\n\n"));
            prop_assert!(!once.contains('\r'));
            prop_assert!(once.lines().all(|l| !l.ends_with(' ') && !l.ends_with('\t')));
        }
    }

    #[test]
    fn sanitized_text_has_no_control_characters_but_line_feeds_and_tabs(s in any::<String>()) {
        let clean = sanitize(&s);
        prop_assert!(clean.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
        let overrides = clean.chars().filter(|&c| is_bidi_control(c)).count();
        prop_assert_eq!(overrides, 0);
        // Nothing printable is lost: every character is kept or replaced one for one,
        // but for the dropped bidirectional controls.
        let dropped = s.chars().filter(|&c| is_bidi_control(c)).count();
        prop_assert_eq!(clean.chars().count() + dropped, s.chars().count());
    }

    #[test]
    fn a_receipt_digest_survives_a_write_and_read_round_trip(
        body in "[ -~é許\u{1}\u{7f}]{1,80}",
        title in proptest::option::of("[ -~é\"\\\\]{1,40}"),
        user in "[a-zA-Zé_\"\\\\]{1,16}",
        uid in any::<u32>(),
        method in prop_oneof![Just(Method::Interactive), Just(Method::Flag), Just(Method::Env), Just(Method::Policy)],
        read_to_end in any::<bool>(),
        sudo in proptest::option::of(("[a-z_\"\\\\é]{1,16}", any::<u32>())),
        context in proptest::option::of("[a-z0-9._-]{1,32}"),
        approver in "[ -~é\u{1}]{1,40}",
        hostname in "[ -~é]{0,40}",
        supersedes in proptest::option::of("[0-9a-f]{64}"),
    ) {
        let license = match License::from_bytes(body.as_bytes(), "prop", "prop".into(), title.as_deref()) {
            Ok(license) => license,
            Err(_) => return Ok(()), // blank text or blank title: refused, nothing to write
        };
        let receipt = Acceptance {
            product: &Product::new("prop").unwrap(),
            license: &license,
            method,
            accepted_by: AcceptedBy { user, uid, sudo },
            accepted_at: "2026-11-30T02:22:06Z".into(),
            read_to_end: (method == Method::Interactive).then_some(read_to_end),
            receipt_id: eula_gate::receipt::new_receipt_id().unwrap(),
            host: Host { hostname, machine_id: None },
            context: context.map(|c| Context::new(&c).unwrap()),
            policy: (method == Method::Policy).then(|| PolicyRef {
                file: "/etc/eula-gate/policy.d/p.json".into(),
                approved_by: approver,
                reference: "REF-1".into(),
            }),
            supersedes,
        }
        .to_receipt();
        let dir = tempfile::tempdir().unwrap();
        let store = ReceiptStore::new(dir.path().join("r"));
        store.write_atomically(&Product::new("prop").unwrap(), &to_file_bytes(&receipt)).unwrap();
        let Ok(Stored::Found(bytes)) = store.read(&Product::new("prop").unwrap()) else { panic!("written receipt not found") };
        let facts = check(&bytes, &Product::new("prop").unwrap()).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&facts.license_sha256, &license.sha256);
        prop_assert_eq!(facts.method, method.as_str());
    }
}
