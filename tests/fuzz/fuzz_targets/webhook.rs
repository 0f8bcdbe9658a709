//! Feeds arbitrary bytes to the webhook parser (what `journey serve` reads from the
//! network once the signature holds). It must not panic, and what it keeps must be
//! storable: ids without control characters, set-aside items with a reason.

#![no_main]

use journey_whatsapp::webhook::{Notice, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(notices) = parse(data) else {
        return;
    };
    for notice in notices {
        match notice {
            Notice::Message(message) => {
                assert!(storable(&message.id), "{:?}", message.id);
                assert!(storable(&message.contact), "{:?}", message.contact);
            }
            Notice::Status(status) => assert!(storable(&status.message_id)),
            Notice::Preference(preference) => assert!(storable(&preference.contact)),
            Notice::Rejected { reason, .. } => assert!(!reason.is_empty()),
            Notice::Other { .. } => {}
        }
    }
});

fn storable(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(char::is_control)
}
