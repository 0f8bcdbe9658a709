//! The WhatsApp Cloud API as data (Meta's Cloud API reference): what `journey serve` reads
//! from Meta and writes to it, with no I/O of its own.
//!
//! - [`signature`]: `X-Hub-Signature-256` over the raw body, in constant time;
//! - [`webhook`]: a notification body → messages (as runtime [`Inbound`]s), statuses and
//!   preference changes, nothing dropped;
//! - [`send`]: a runtime [`Outbound`] → the JSON body of `POST /{phone-number-id}/messages`;
//! - [`response`]: that POST's answer → accepted, or a failure classified as throttle,
//!   retry or permanent (§1.4);
//! - [`window`]: the 24-hour customer service window.
//!
//! [`Inbound`]: journey_runtime::Inbound
//! [`Outbound`]: journey_runtime::Outbound

pub mod response;
pub mod send;
pub mod signature;
pub mod webhook;
pub mod window;

/// A contact key is the user's phone (`wa_id`, digits only) or, for a user known only
/// by a username, their business-scoped user id (`ZA.1349…`, §5.4). Both are kept as
/// the one string the runtime calls `contact.id`; this tells them apart.
pub fn is_phone(contact: &str) -> bool {
    !contact.is_empty() && contact.bytes().all(|b| b.is_ascii_digit())
}
