//! The codec against the Cloud API fixtures (copied from shared/fixtures/whatsapp).

use journey_runtime::{Header, MenuKind, Outbound};
use journey_whatsapp::response::{Answer, Class, classify};
use journey_whatsapp::send::{Envelope, body};
use journey_whatsapp::signature::{SignatureError, sign, verify};
use journey_whatsapp::webhook::{Delivery, Notice, parse, parse_status};
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<u8> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(name))
        .unwrap_or_else(|| panic!("no fixture {name}"));
    std::fs::read(file).unwrap()
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// A `*-webhook-value-*` fixture in its envelope.
fn wrapped(name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": json_fixture(name)}]}]
    }))
    .unwrap()
}

fn only_message(body: &[u8]) -> journey_whatsapp::webhook::Message {
    match parse(body).unwrap().as_slice() {
        [Notice::Message(message)] => message.clone(),
        other => panic!("expected one message, got {other:?}"),
    }
}

#[test]
fn the_signature_vector() {
    let body = fixture("signature-vector.body");
    assert_eq!(body.len(), 416);
    let header = "sha256=612a0224581cc76dc0e98b77d979d70992e4659159afc37842820585b4724517";
    assert_eq!(verify(b"test_app_secret", &body, Some(header)), Ok(()));
    assert_eq!(sign(b"test_app_secret", &body), header);
    let mut newline = body.clone();
    newline.push(b'\n');
    assert_eq!(
        verify(b"test_app_secret", &newline, Some(header)),
        Err(SignatureError::Mismatch),
        "the check is on the raw bytes"
    );
    assert_eq!(
        sign(b"test_app_secret", &newline),
        "sha256=861183a1200cc464b47efe96f74d0942fc3358c264d223e95fc72a153bdfa61e"
    );
}

#[test]
fn text_message() {
    let message = only_message(&fixture("02-"));
    assert_eq!(message.contact, "27820000001");
    assert_eq!(message.profile_name.as_deref(), Some("Thandi"));
    assert_eq!(message.phone_number_id, "106540352242922");
    assert_eq!(message.timestamp, Some(1_767_225_600));
    assert_eq!(message.inbound.kind, "text");
    assert_eq!(
        message.inbound.text,
        "Hi, I need help with my clinic booking"
    );
}

#[test]
fn every_inbound_type_becomes_an_event() {
    // (fixture, kind, text, reply id, media id)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    );
    let cases: [Case; 11] = [
        (
            "03-",
            "interactive",
            "Talk to a person",
            Some("card:Menu/btn:talk_to_human"),
            None,
        ),
        (
            "04-",
            "interactive",
            "Vaccines",
            Some("topic:vaccines"),
            None,
        ),
        (
            "05-",
            "button",
            "Stop reminders",
            Some("optout:reminders"),
            None,
        ),
        (
            "06-",
            "image",
            "This is my clinic card",
            None,
            Some("1234567890123456"),
        ),
        ("07-", "audio", "", None, Some("2234567890123456")),
        (
            "08-",
            "document",
            "Referral",
            None,
            Some("3234567890123456"),
        ),
        (
            "09-",
            "location",
            "-26.2041,28.0473 Hillbrow Clinic Johannesburg",
            None,
            None,
        ),
        ("10-", "contacts", "Sipho Dlamini", None, None),
        ("11-", "text", "Hi! I'd like to know more", None, None),
        (
            "12-",
            "interactive",
            r#"{"flow_token":"journey-42:card-Signup","first_name":"Thandi","age":"32"}"#,
            None,
            None,
        ),
        ("13-", "unsupported", "", None, None),
    ];
    for (name, kind, text, reply_id, media_id) in cases {
        let message = only_message(&wrapped(name));
        assert_eq!(message.inbound.kind, kind, "{name}");
        assert_eq!(message.inbound.text, text, "{name}");
        assert_eq!(message.inbound.reply_id.as_deref(), reply_id, "{name}");
        assert_eq!(message.inbound.media_id.as_deref(), media_id, "{name}");
        assert!(message.id.starts_with("wamid."), "{name}");
    }
}

#[test]
fn batched_messages_keep_their_order_and_ids() {
    let notices = parse(&wrapped("14-")).unwrap();
    let ids: Vec<&str> = notices
        .iter()
        .map(|n| match n {
            Notice::Message(m) => m.id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "wamid.IN_TXT_0002",
            "wamid.HBgLMjc4MjAwMDAwMDEVAgASGBQzQUFBQUFBQUFBQUFBQUFBQUEA"
        ]
    );
}

#[test]
fn a_username_user_is_keyed_by_bsuid() {
    let message = only_message(&wrapped("15-"));
    assert_eq!(message.contact, "ZA.13491208655302741918");
    assert_eq!(message.profile_name.as_deref(), Some("Ayo"));
    assert!(!journey_whatsapp::is_phone(&message.contact));
}

#[test]
fn statuses() {
    let sent = match parse(&wrapped("16-")).unwrap().as_slice() {
        [Notice::Status(status)] => status.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(sent.message_id, "wamid.OUT_MENU_0001");
    assert_eq!(sent.status, Delivery::Sent);
    assert_eq!(
        sent.callback.as_deref(),
        Some("j=onboarding;c=Menu;o=01J0000000000000000000000")
    );
    let failed = match parse(&wrapped("17-")).unwrap().as_slice() {
        [Notice::Status(status)] => status.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(failed.status, Delivery::Failed);
    assert_eq!(failed.errors[0].code, 131047);
    assert_eq!(
        journey_whatsapp::response::classify_status_error(&failed.errors[0]),
        Class::Permanent
    );
    let legacy = json_fixture("18-");
    let legacy = parse_status(legacy.as_object().unwrap(), "", "status").unwrap();
    assert_eq!(legacy.status, Delivery::Sent);
    assert!(Delivery::Read > Delivery::Delivered && Delivery::Delivered > Delivery::Sent);
}

#[test]
fn marketing_opt_out() {
    match parse(&fixture("19-")).unwrap().as_slice() {
        [Notice::Preference(p)] => {
            assert_eq!(p.contact, "27820000001");
            assert_eq!(p.category, "marketing_messages");
            assert_eq!(p.value, "stop");
            assert_eq!(p.timestamp, 1_767_300_000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_bodies_say_why() {
    let error = |body: &str| parse(body.as_bytes()).unwrap_err().0;
    assert!(error("{").contains("not valid JSON"));
    assert!(error("[]").contains("not a JSON object"));
    assert!(error(r#"{"object":"page","entry":[]}"#).contains("`page`"));
    assert!(error(r#"{"object":"whatsapp_business_account"}"#).contains("`entry` is missing"));
    // One unreadable item is set aside with its reason; the others are kept.
    let items = r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{
        "messages":[{"from":"1","timestamp":"1","type":"text"},
                    {"from":"2\u0000","id":"wamid.2","timestamp":"1","type":"text"},
                    {"from":"3","id":"wamid.3","type":"text","text":{"body":"no timestamp"}}],
        "statuses":[{"id":"wamid.9","status":"warning","timestamp":"1","recipient_id":"3"},
                    {"id":"wamid.\u0000","status":"sent","timestamp":"1","recipient_id":"3"}]}}]}]}"#;
    match parse(items.as_bytes()).unwrap().as_slice() {
        [
            Notice::Rejected { at: no_id, reason },
            Notice::Rejected { reason: nul, .. },
            Notice::Message(kept),
            Notice::Other { field, .. },
            Notice::Rejected {
                reason: nul_status, ..
            },
        ] => {
            assert_eq!(no_id, "entry[0].changes[0].value.messages[0]");
            assert!(reason.contains("messages[0].id is missing"), "{reason}");
            assert!(nul.contains("control characters"), "{nul}");
            assert_eq!((kept.id.as_str(), kept.timestamp), ("wamid.3", None));
            assert_eq!(field, "statuses");
            assert!(nul_status.contains("control characters"), "{nul_status}");
        }
        other => panic!("{other:?}"),
    }
    // Other fields are read, not refused.
    let other = r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"account_update","value":{"x":1}}]}]}"#;
    assert!(
        matches!(parse(other.as_bytes()).unwrap().as_slice(), [Notice::Other { field, .. }] if field == "account_update")
    );
}

fn envelope(callback: &str) -> Envelope<'_> {
    Envelope {
        contact: "27820000001",
        callback,
        parameter_names: &[],
    }
}

#[test]
fn text_body_is_fixture_20() {
    let message = Outbound::Text {
        body: "Thanks Thandi! Your booking is on Tuesday.".into(),
    };
    assert_eq!(body(&message, &envelope("")), json_fixture("20-"));
}

#[test]
fn buttons_body_is_fixture_21() {
    let message = Outbound::Interactive {
        kind: MenuKind::Buttons,
        header: Some(Header::Text("Clinic helpdesk".into())),
        body: "What would you like to do?".into(),
        footer: Some("Reply AGENT any time to reach a person".into()),
        button: None,
        options: vec![
            ("card:Menu/btn:book".into(), "Book a visit".into()),
            ("card:Menu/btn:info".into(), "Health info".into()),
            (
                "card:Menu/btn:talk_to_human".into(),
                "Talk to a person".into(),
            ),
        ],
    };
    assert_eq!(
        body(&message, &envelope("j=onboarding;c=Menu")),
        json_fixture("21-")
    );
}

#[test]
fn a_media_header_is_sent_by_link() {
    let message = Outbound::Interactive {
        kind: MenuKind::Buttons,
        header: Some(Header::Media {
            kind: "image".into(),
            url: "https://clinic.example.org/calendar.png".into(),
        }),
        body: "Which day suits you?".into(),
        footer: None,
        button: None,
        options: vec![("Monday".into(), "Monday".into())],
    };
    let sent = body(&message, &envelope(""));
    assert_eq!(
        sent["interactive"]["header"],
        json!({"type": "image", "image": {"link": "https://clinic.example.org/calendar.png"}})
    );
}

#[test]
fn list_body_has_the_fixture_22_shape() {
    let message = Outbound::Interactive {
        kind: MenuKind::List,
        header: Some(Header::Text("Health topics".into())),
        body: "Choose a topic to learn more.".into(),
        footer: Some("Type AGENT for a person".into()),
        button: Some("See topics".into()),
        options: vec![("topic:vaccines".into(), "Vaccines".into())],
    };
    let got = body(&message, &envelope(""));
    let want = json_fixture("22-");
    assert_eq!(got["interactive"]["type"], want["interactive"]["type"]);
    assert_eq!(got["interactive"]["header"], want["interactive"]["header"]);
    assert_eq!(
        got["interactive"]["action"]["button"],
        want["interactive"]["action"]["button"]
    );
    assert_eq!(
        got["interactive"]["action"]["sections"][0]["rows"][0]["id"],
        "topic:vaccines"
    );
}

#[test]
fn template_body_is_fixture_25() {
    let message = Outbound::Template {
        name: "visit_reminder".into(),
        language: "en_US".into(),
        params: vec!["Thandi".into(), "Tuesday 6 January".into()],
        buttons: vec!["reminder:confirm".into(), "optout:reminders".into()],
    };
    let names = ["first_name".to_owned(), "visit_date".to_owned()];
    let envelope = Envelope {
        contact: "27820000001",
        callback: "",
        parameter_names: &names,
    };
    assert_eq!(body(&message, &envelope), json_fixture("25-"));
}

#[test]
fn a_bsuid_contact_is_a_recipient() {
    let message = Outbound::Text { body: "hi".into() };
    let got = body(
        &message,
        &Envelope {
            contact: "ZA.13491208655302741918",
            callback: "k",
            parameter_names: &[],
        },
    );
    assert_eq!(got["recipient"], "ZA.13491208655302741918");
    assert!(got.get("to").is_none());
    assert_eq!(got["biz_opaque_callback_data"], "k");
}

#[test]
fn read_receipt_is_fixture_26() {
    assert_eq!(
        journey_whatsapp::send::mark_read("wamid.IN_BTN_0001"),
        json_fixture("26-")
    );
}

#[test]
fn api_answers() {
    assert_eq!(
        classify(200, &fixture("27-")),
        Answer::Accepted {
            message_id: "wamid.OUT_MENU_0001".into()
        }
    );
    match classify(400, &fixture("28-")) {
        Answer::Failed(failure) => {
            assert_eq!(failure.class, Class::Permanent);
            assert_eq!(failure.code, Some(131047));
            assert!(failure.message.contains("24 hours"));
        }
        other => panic!("{other:?}"),
    }
}
