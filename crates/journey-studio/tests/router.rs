//! The studio's routes driven in-process (`tower::ServiceExt::oneshot`) on a project in a
//! temporary directory: raw edits and fixes, the layout sidecar, the journey view,
//! playbook imports, rules and completions, and the guard on each.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use journey_studio::Studio;
use serde_json::{Value, json};
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:7878";

const CONFIG: &str = "[project]\nname = \"clinic\"\n";

const MAIN: &str = "# The clinic's line.\ntrigger(on: \"MESSAGE RECEIVED\") when has_any_phrase(event.message.text.body, [\"hi\"])\n\n\
card Welcome, then: Menu do\n  text(\"Hi @contact.name!\")\nend\n\n\
card Menu do\n  buttons(Tips: \"Tips\", Nurse: \"Talk to a nurse\") do\n    text(\"How can we help?\")\n  end\nend\n\n\
card Tips do\n  text(\"Rest well.\")\nend\n\n\
card Nurse do\n  handoff(queue: \"nurses\", timeout: 30m, on_timeout: Tips)\nend\n";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.toml"), CONFIG).unwrap();
    std::fs::write(dir.path().join("main.journey"), MAIN).unwrap();
    dir
}

fn studio(root: &Path) -> Arc<Studio> {
    Studio::open(
        root,
        HOST.parse().unwrap(),
        journey_playbook::builtin("playbooks"),
    )
    .unwrap()
}

async fn call(
    studio: &Arc<Studio>,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", HOST)
        .header("authorization", format!("Bearer {}", studio.token()))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let response = studio.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn the_project_and_a_journey_as_the_canvas_shows_it() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, project) = call(&studio, "GET", "/api/project", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        project["files"],
        json!([
            {"path": "journey.toml", "kind": "config", "version": project["files"][0]["version"]},
            {"path": "main.journey", "kind": "journey", "version": project["files"][1]["version"]},
        ])
    );
    assert_eq!(
        project["journeys"],
        json!([{"name": "main", "file": "main.journey"}])
    );

    let (status, view) = call(&studio, "GET", "/api/journey?file=main.journey", None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["version"], project["files"][1]["version"]);
    let menu = &view["cards"][1];
    assert_eq!(menu["name"], "Menu");
    assert_eq!(
        menu["definitions"][0]["statements"][0]["options"],
        json!([{"label": "Tips", "target": "Tips"}, {"label": "Talk to a nurse", "target": "Nurse"}])
    );
    assert_eq!(menu["badges"], json!(["buttons"]));
    assert_eq!(view["cards"][3]["badges"], json!(["handoff"]));
    assert_eq!(view["cards"][3]["reaches_person"], json!(true));

    let (status, _) = call(
        &studio,
        "GET",
        "/api/journey?file=main.journey&name=Other",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&studio, "GET", "/api/file?path=notes.txt", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn positions_live_in_the_sidecar_and_show_on_the_canvas() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, _) = call(
        &studio,
        "PUT",
        "/api/layout",
        Some(json!({"file": "main.journey", "journey": "main", "positions": {"Welcome": {"x": 10.0, "y": 20.0}, "Menu": {"x": 200.0, "y": 20.0}}})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let sidecar = std::fs::read_to_string(dir.path().join("journey.layout.json")).unwrap();
    assert_eq!(
        sidecar,
        "{\n  \"journeys\": {\n    \"main\": {\n      \"Menu\": {\n        \"x\": 200.0,\n        \"y\": 20.0\n      },\n      \"Welcome\": {\n        \"x\": 10.0,\n        \"y\": 20.0\n      }\n    }\n  }\n}\n"
    );
    let (_, view) = call(&studio, "GET", "/api/journey?file=main.journey", None).await;
    assert_eq!(view["cards"][0]["position"], json!({"x": 10.0, "y": 20.0}));
    assert_eq!(view["cards"][2].get("position"), None);
    // The journey files are untouched.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.journey")).unwrap(),
        MAIN
    );
}

#[tokio::test]
async fn a_fix_applies_as_raw_edits_and_undoes() {
    let dir = project();
    let studio = studio(dir.path());
    let (_, read) = call(&studio, "GET", "/api/file?path=main.journey", None).await;
    let broken = MAIN.replace("then: Menu", "then: Mneu");
    let (status, change) = call(
        &studio,
        "PUT",
        "/api/file",
        Some(json!({"path": "main.journey", "text": broken, "base_version": read["version"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let finding = change["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "J101")
        .expect("the misspelt card is reported")
        .clone();
    assert_eq!(
        finding["card"],
        json!({"journey": "main", "card": "Welcome"})
    );
    let fix = &finding["fixes"][0];
    assert!(fix["title"].as_str().unwrap().contains("Menu"), "{fix}");
    let version = change["files"][0]["version"].clone();
    let (status, fixed) = call(
        &studio,
        "POST",
        "/api/edits",
        Some(json!({"edits": fix["edits"], "base_versions": {"main.journey": version}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.journey")).unwrap(),
        MAIN
    );
    assert!(
        fixed["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["code"] != "J101")
    );

    // Edits need their base version, and a stale one is refused.
    let (status, _) = call(
        &studio,
        "POST",
        "/api/edits",
        Some(json!({"edits": fix["edits"], "base_versions": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = call(
        &studio,
        "POST",
        "/api/edits",
        Some(json!({"edits": fix["edits"], "base_versions": {"main.journey": version}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    for _ in 0..2 {
        let (status, _) = call(&studio, "POST", "/api/undo", None).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.journey")).unwrap(),
        MAIN
    );
    let (status, nothing) = call(&studio, "POST", "/api/undo", None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(nothing["error"], "there is nothing to undo");
}

#[tokio::test]
async fn a_new_file_is_created_and_its_creation_undone() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, change) = call(
        &studio,
        "PUT",
        "/api/file",
        Some(json!({"path": "flows/extra.journey", "text": "card Extra do\n  text(\"More.\")\nend\n", "base_version": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert!(dir.path().join("flows/extra.journey").is_file());
    let (status, _) = call(
        &studio,
        "PUT",
        "/api/file",
        Some(json!({"path": "flows/extra.journey", "text": "", "base_version": null})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, undone) = call(&studio, "POST", "/api/undo", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        undone["files"][0],
        json!({"path": "flows/extra.journey", "version": null, "text": null})
    );
    assert!(!dir.path().join("flows/extra.journey").exists());
}

#[tokio::test]
async fn a_playbook_imports_once_and_then_conflicts() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, list) = call(&studio, "GET", "/api/playbooks", None).await;
    assert_eq!(status, StatusCode::OK);
    let survey = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "visit-survey")
        .expect("the built-in library has the visit survey");
    let text = survey["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "text")
        .expect("a text parameter");
    let request = json!({"name": "visit-survey", "values": {text["name"].as_str().unwrap(): "Hillbrow Clinic"}});
    let (status, change) = call(
        &studio,
        "POST",
        "/api/playbooks/import",
        Some(request.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    let written: Vec<&str> = change["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        written.iter().any(|p| p.ends_with(".journey")),
        "{written:?}"
    );
    let journeys: String = written
        .iter()
        .filter(|p| p.ends_with(".journey"))
        .map(|p| std::fs::read_to_string(dir.path().join(p)).unwrap())
        .collect();
    assert!(journeys.contains("Hillbrow Clinic"), "{journeys}");
    for path in &written {
        assert!(dir.path().join(path).is_file(), "{path}");
    }
    let (status, refused) = call(&studio, "POST", "/api/playbooks/import", Some(request)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(!refused["conflicts"].as_array().unwrap().is_empty());
    let (status, _) = call(
        &studio,
        "POST",
        "/api/playbooks/import",
        Some(json!({"name": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rules_and_completions() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, rule) = call(&studio, "GET", "/api/rules/j101", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rule["code"], "J101");
    assert!(rule["markdown"].as_str().unwrap().starts_with("# J101"));
    let (status, _) = call(&studio, "GET", "/api/rules/X999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let offset = MAIN.find("@contact.").unwrap() + "@contact.".len();
    let (status, items) = call(
        &studio,
        "GET",
        &format!("/api/completions?path=main.journey&offset={offset}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "name" && i["kind"] == "field"),
        "{items}"
    );
    let (status, _) = call(
        &studio,
        "GET",
        "/api/completions?path=main.journey&offset=99999",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_paths_get_the_page_and_unknown_api_paths_a_404() {
    let dir = project();
    let studio = studio(dir.path());
    let request = Request::builder()
        .uri("/some/canvas/route")
        .header("host", HOST)
        .body(Body::empty())
        .unwrap();
    let response = studio.router().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let (status, body) = call(&studio, "GET", "/api/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn an_operation_edits_one_line_carries_positions_and_refuses_stale_text() {
    let dir = project();
    let studio = studio(dir.path());
    let (_, read) = call(&studio, "GET", "/api/file?path=main.journey", None).await;
    let base = read["version"].clone();
    let (status, _) = call(
        &studio,
        "PUT",
        "/api/layout",
        Some(json!({"file": "main.journey", "journey": "main", "positions": {"Tips": {"x": 1.0, "y": 2.0}}})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let at = json!({"journey": "main", "card": "Tips", "definition": 0, "statement": 0});
    let (status, change) = call(
        &studio,
        "POST",
        "/api/op",
        Some(json!({"op": {"op": "set_text", "file": "main.journey", "at": at, "text": "Rest and drink water."}, "base_version": base})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    let after = std::fs::read_to_string(dir.path().join("main.journey")).unwrap();
    assert_eq!(after, MAIN.replace("Rest well.", "Rest and drink water."));
    assert_eq!(
        change["cards_changed"],
        json!([{"journey": "main", "card": "Tips"}])
    );

    // The same operation on the old version is refused; nothing changes.
    let (status, refused) = call(
        &studio,
        "POST",
        "/api/op",
        Some(json!({"op": {"op": "set_text", "file": "main.journey", "at": at, "text": "Lost."}, "base_version": base})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");

    // A rename takes the card's position along; deleting a card in use is refused.
    let version = change["files"][0]["version"].clone();
    let (status, renamed) = call(
        &studio,
        "POST",
        "/api/op",
        Some(json!({"op": {"op": "rename_card", "file": "main.journey", "journey": "main", "card": "Tips", "new_name": "HealthTips", "base_version": version}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    let (_, view) = call(&studio, "GET", "/api/journey?file=main.journey", None).await;
    let card = view["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "HealthTips")
        .expect("the renamed card")
        .clone();
    assert_eq!(card["position"], json!({"x": 1.0, "y": 2.0}));
    let version = renamed["files"][0]["version"].clone();
    let (status, refused) = call(
        &studio,
        "POST",
        "/api/op",
        Some(json!({"op": {"op": "delete_card", "file": "main.journey", "journey": "main", "card": "HealthTips"}, "base_version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("HealthTips"),
        "{refused}"
    );

    // Undo twice gives back the original bytes.
    for _ in 0..2 {
        let (status, _) = call(&studio, "POST", "/api/undo", None).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.journey")).unwrap(),
        MAIN
    );
}

#[tokio::test]
async fn settings_are_forms_over_journey_toml_with_versions() {
    let dir = project();
    let toml = "# Clinic settings.\n[project]\nname = \"clinic\" # shown in the studio\n";
    std::fs::write(dir.path().join("journey.toml"), toml).unwrap();
    let studio = studio(dir.path());
    let (status, settings) = call(&studio, "GET", "/api/settings", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["languages"], json!(["en"]));
    assert_eq!(
        settings["keywords"]["opt_out"],
        json!(["stop", "unsubscribe"])
    );
    let name = settings["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "name")
        .unwrap();
    assert_eq!(
        (name["builtin"].clone(), name["max_length"].clone()),
        (json!(true), json!(60))
    );
    let version = settings["version"].as_str().unwrap().to_owned();

    // A stale version: 409, nothing written.
    let (status, refused) = call(
        &studio,
        "PUT",
        "/api/settings",
        Some(json!({"change": "languages", "default_language": "en", "languages": ["pt"], "base_version": "0000"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(refused["version"], json!(version));
    // A value that cannot work: 422 in plain words.
    let (status, refused) = call(
        &studio,
        "PUT",
        "/api/settings",
        Some(json!({"change": "field", "name": "age", "type": "number", "max_length": 3, "base_version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("applies to text fields only"),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("journey.toml")).unwrap(),
        toml
    );

    let (status, change) = call(
        &studio,
        "PUT",
        "/api/settings",
        Some(json!({"change": "languages", "default_language": "en", "languages": ["pt"], "base_version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{change}");
    let written = std::fs::read_to_string(dir.path().join("journey.toml")).unwrap();
    assert_eq!(written, format!("{toml}languages = [\"en\", \"pt\"]\n"));
    assert_eq!(change["files"][0]["path"], "journey.toml");
    // The outline now offers a Portuguese version of each message; undo puts the bytes back.
    let (_, view) = call(&studio, "GET", "/api/journey?file=main.journey", None).await;
    assert_eq!(
        view["cards"][0]["definitions"][0]["statements"][0]["translations"],
        json!([{"language": "pt", "text": null}])
    );
    let (status, _) = call(&studio, "POST", "/api/undo", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("journey.toml")).unwrap(),
        toml
    );
}

#[tokio::test]
async fn the_way_to_a_person_and_the_personalisations() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, path) = call(
        &studio,
        "GET",
        "/api/person-path?file=main.journey&card=Welcome",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(path["person"], "Nurse");
    assert_eq!(
        path["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["target"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["Menu", "Nurse"]
    );
    let (status, _) = call(
        &studio,
        "GET",
        "/api/person-path?file=main.journey&card=Nowhere",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let offset = MAIN.find("text(\"Rest").unwrap();
    let (status, items) = call(
        &studio,
        "GET",
        &format!("/api/personalisations?path=main.journey&offset={offset}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["insert"] == "@contact.name" && i["kind"] == "field"),
        "{items}"
    );
}

#[tokio::test]
async fn simulator_lines_say_what_the_phone_shows() {
    let dir = project();
    let studio = studio(dir.path());
    let (status, state) = call(
        &studio,
        "POST",
        "/api/sim/start",
        Some(json!({"text": "hi"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{state}");
    let id = state["id"].as_str().unwrap().to_owned();
    let (_, state) = call(
        &studio,
        "POST",
        &format!("/api/sim/{id}/send"),
        Some(json!({"button": "Tips"})),
    )
    .await;
    let lines = state["transcript"].as_array().unwrap();
    let menu = lines
        .iter()
        .find(|l| l["text"].as_str().unwrap().starts_with("[buttons]"))
        .unwrap();
    assert_eq!(menu["body"], "How can we help?");
    let tap = lines.iter().find(|l| l["text"] == "[tap Tips]").unwrap();
    assert_eq!(tap["tap"], "Tips");
    let last = lines.iter().rev().find(|l| l["from"] == "journey").unwrap();
    assert_eq!(last["body"], "Rest well.");
}
