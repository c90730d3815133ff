//! Receipt parsing and verification on arbitrary bytes: never a panic, and whatever
//! is accepted re-checks to the same facts after a canonical round trip.
#![no_main]

use eula_gate::Product;
use eula_gate::receipt::{check, receipt_digest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(facts) = check(data, &Product::new("portsip-pbx").unwrap()) else { return };
    assert!(matches!(facts.method.as_str(), "interactive" | "flag" | "env" | "policy"));
    // An accepted receipt is a JSON object whose digest field is its canonical digest.
    let value: serde_json::Value = serde_json::from_slice(data).expect("accepted receipts are JSON");
    let map = value.as_object().expect("accepted receipts are objects");
    assert_eq!(map["digest"].as_str(), Some(receipt_digest(map).as_str()));
    // Written back in another layout, it still checks the same.
    let again = serde_json::to_vec(&value).expect("serializes");
    assert_eq!(check(&again, &Product::new("portsip-pbx").unwrap()).as_ref(), Ok(&facts));
    assert!(check(data, &Product::new("another-product").unwrap()).is_err());
});
