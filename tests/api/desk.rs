//! The web desk over HTTP: signing in by an emailed link (a scanner's GET signs nobody in),
//! the session cookie's attributes, CSRF on every form, scope as in the API, and sessions
//! ending on sign-out and on `user disable`; the form with its errors and its preview.

use notesd::access::Role;
use notesd::address::EmailAddress;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;

use crate::helpers::{TestApp, TestDb, UNIT, default_time, settings_for};

const PERSON: &str = "anna@presidency.example";

/// A browser without cookie jar or redirects: the test sees and sends the cookies itself.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("a client")
}

async fn add_person(app: &TestApp, email: &str, units: &[&str]) -> EmailAddress {
    let email: EmailAddress = email.parse().expect("an address");
    let units: Vec<String> = units.iter().map(|u| (*u).to_owned()).collect();
    app.service
        .add_user(&email, "Anna Drafter", Role::Drafter, &units)
        .await
        .expect("the person is added");
    email
}

/// The path of a sign-in URL (links are built from `http.public_url`).
fn path_of(url: &str) -> String {
    let at = url.find("/signin/").expect("a sign-in URL");
    url[at..].to_owned()
}

/// The session cookie a response sets, whole (`notesd_session=…; Path=/; …`).
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("notesd_session="))
        .map(str::to_owned)
}

/// Signs `email` in with a link from `notesd signin-link`'s use case; the cookie pair.
async fn sign_in(app: &TestApp, email: &EmailAddress) -> String {
    let url = app.service.signin_link(email).await.expect("a link");
    let response = browser()
        .post(app.url(&path_of(&url)))
        .send()
        .await
        .expect("POST the link");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response).expect("a session cookie");
    cookie.split(';').next().unwrap_or_default().to_owned()
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = browser()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .expect("GET");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = browser()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {page}"))
        + 19;
    page[start..start + 32].to_owned()
}

/// The sign-in links in the mail folder's messages.
fn mailed_links(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| {
            let at = text.find("/signin/")?;
            let token: String = text[at + 8..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            Some(format!("/signin/{token}"))
        })
        .collect()
}

async fn a_mailed_link_signs_in_once_and_a_scanners_get_signs_in_nobody(db: TestDb) {
    let settings = settings_for(&db);
    let app = TestApp::spawn(&settings).await;
    add_person(&app, PERSON, &[UNIT]).await;

    // The same page whether the address is someone's or not; mail only for the person.
    let ask = |email: &'static str| {
        let url = app.url("/signin");
        async move {
            let response = browser()
                .post(url)
                .form(&[("email", email)])
                .send()
                .await
                .expect("POST /signin");
            (response.status(), response.text().await.unwrap_or_default())
        }
    };
    let known = ask("Anna@Presidency.example").await;
    let unknown = ask("nobody@presidency.example").await;
    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(known, unknown);
    app.until_mail("the sign-in mail is written", || async {
        !mailed_links(&settings.mail.dir).is_empty()
    })
    .await;
    let links = mailed_links(&settings.mail.dir);
    assert_eq!(links.len(), 1, "{links:?}");
    let link = app.url(&links[0]);

    // A scanner opens the link: a page with a button, no cookie, nothing spent.
    for _ in 0..2 {
        let response = browser().get(&link).send().await.expect("GET the link");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookie(&response).is_none());
        assert!(
            response
                .text()
                .await
                .unwrap_or_default()
                .contains("<form method=\"post\"")
        );
    }
    let (status, _) = get(&app, "", "/notes").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "nobody is signed in");

    // The person's POST signs in: the cookie is HttpOnly, SameSite=Strict, lives
    // web.session_ttl, and is not Secure on plain loopback http.
    let response = browser().post(&link).send().await.expect("POST the link");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/notes");
    let cookie = set_cookie(&response).expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let pair = cookie.split(';').next().unwrap_or_default().to_owned();
    let (status, page) = get(&app, &pair, "/notes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Anna Drafter"), "{page}");

    // Once only.
    let again = browser().post(&link).send().await.expect("POST again");
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(set_cookie(&again).is_none());

    // Anyone may ask for links to an address: three unused at once, then the same answer
    // and no more mail until one is used or expires.
    for _ in 0..6 {
        assert_eq!(ask("anna@presidency.example").await, known);
    }
    // Each mail is an outbox row committed before the answer: the count is final.
    let outbox = app.service.tallies().await.expect("tallies").outbox;
    let mails: i64 = outbox.iter().map(|(_, n)| n).sum();
    assert_eq!(
        mails, 4,
        "the used link's mail and three pending: {outbox:?}"
    );
    app.until_mail("the three sign-in mails are written", || async {
        mailed_links(&settings.mail.dir).len() == 4
    })
    .await;
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn a_mailed_link_signs_in_once_and_a_scanners_get_signs_in_nobody_on_sqlite() {
    a_mailed_link_signs_in_once_and_a_scanners_get_signs_in_nobody(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_mailed_link_signs_in_once_and_a_scanners_get_signs_in_nobody_on_postgres() {
    if let Some(db) = TestDb::postgres(
        "a_mailed_link_signs_in_once_and_a_scanners_get_signs_in_nobody_on_postgres",
    )
    .await
    {
        a_mailed_link_signs_in_once_and_a_scanners_get_signs_in_nobody(db).await;
    }
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_desk_is_served_over_https() {
    let db = TestDb::sqlite();
    let mut settings = settings_for(&db);
    settings.http.public_url = "https://notes.council.example"
        .parse()
        .expect("a public URL");
    let app = TestApp::spawn(&settings).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    let url = app.service.signin_link(&email).await.expect("a link");
    assert!(
        url.starts_with("https://notes.council.example/signin/"),
        "{url}"
    );
    let response = browser()
        .post(app.url(&path_of(&url)))
        .send()
        .await
        .expect("POST the link");
    let cookie = set_cookie(&response).expect("a session cookie");
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    app.stop().await;
}

#[tokio::test]
async fn every_form_needs_the_sessions_csrf_value() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    let cookie = sign_in(&app, &email).await;
    let (_, form) = get(&app, &cookie, "/notes/new").await;
    let csrf = csrf_of(&form);
    let note = [
        ("kind", "note"),
        ("language", "en"),
        ("from", "Presidency"),
        ("to", "Delegations"),
        ("subject", "S"),
        ("unit", UNIT),
        ("initials", "AB"),
        ("codes", "JAI"),
        ("body", "Text."),
    ];
    for sent in [None, Some("0123456789abcdef0123456789abcdef")] {
        let mut fields = note.to_vec();
        if let Some(value) = sent {
            fields.push(("csrf", value));
        }
        let (status, page) = post(&app, &cookie, "/notes", &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        let (status, _) = post(&app, &cookie, "/signout", &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert!(app.all_notes().await.is_empty(), "nothing was registered");
    // Another session's value is no good either.
    let other = sign_in(&app, &email).await;
    let (_, other_form) = get(&app, &other, "/notes/new").await;
    assert_ne!(csrf_of(&other_form), csrf);
    let mut fields = note.to_vec();
    fields.push(("csrf", &csrf));
    let (status, _) = post(&app, &other, "/notes", &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&app, &cookie, "/notes", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_drafter_sees_and_acts_only_within_their_units() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    let mut other = crate::helpers::spec(&["JAI"]);
    other["unit"] = "COSI.2".into();
    other["subject"] = "Another unit's LIMITE note".into();
    let response = app
        .client
        .post(app.url("/api/notes"))
        .bearer_auth(&app.admin_token)
        .json(&other)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    let other: serde_json::Value = response.json().await.expect("JSON");
    let own = app.register(&crate::helpers::spec(&["JAI"])).await;

    let cookie = sign_in(&app, &email).await;
    let (_, list) = get(&app, &cookie, "/notes").await;
    assert!(
        list.contains(own["number"].as_str().unwrap_or("?")),
        "{list}"
    );
    assert!(
        !list.contains(other["number"].as_str().unwrap_or("?")),
        "{list}"
    );
    let other_page = format!("/notes/{}", other["id"]);
    let (status, page) = get(&app, &cookie, &other_page).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !page.contains("COSI.2") && !page.contains("Another unit"),
        "{page}"
    );
    let (status, _) = get(&app, &cookie, &format!("{other_page}/pdf")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, own_page) = get(&app, &cookie, &format!("/notes/{}", own["id"])).await;
    let csrf = csrf_of(&own_page);
    let (status, _) = post(
        &app,
        &cookie,
        &format!("{other_page}/submit"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Registering for another unit is refused beside the unit field.
    let (status, page) = post(
        &app,
        &cookie,
        "/notes",
        &[
            ("csrf", &csrf),
            ("kind", "note"),
            ("language", "en"),
            ("from", "Presidency"),
            ("to", "Delegations"),
            ("subject", "S"),
            ("unit", "COSI.2"),
            ("initials", "AB"),
            ("codes", "JAI"),
            ("body", "Text."),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"unit-error\""), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_when_the_person_is_disabled() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    let first = sign_in(&app, &email).await;
    let second = sign_in(&app, &email).await;
    let (_, page) = get(&app, &first, "/notes").await;
    let (status, _) = post(&app, &first, "/signout", &[("csrf", &csrf_of(&page))]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = get(&app, &first, "/notes").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
    let (status, _) = get(&app, &second, "/notes").await;
    assert_eq!(status, StatusCode::OK, "the other session goes on");

    app.service.disable_user(&email).await.expect("disabled");
    let (status, _) = get(&app, &second, "/notes").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "no session outlives `user disable`"
    );
    assert!(app.service.signin_link(&email).await.is_err());
    // A link made before the person was disabled does not sign them in either.
    app.stop().await;
}

#[tokio::test]
async fn expired_sessions_and_links_are_deleted_as_new_links_are_made() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    sign_in(&app, &email).await;
    app.service.signin_link(&email).await.expect("a link");
    let pool = crate::approval::app_store(&db).await;
    let rows = || async {
        let count = |sql: &'static str| sqlx::query_as::<_, (i64,)>(sql).fetch_one(&pool);
        let sessions = count("SELECT COUNT(*) FROM sessions")
            .await
            .expect("a count");
        let links = count("SELECT COUNT(*) FROM signin_links")
            .await
            .expect("a count");
        (sessions.0, links.0)
    };
    assert_eq!(rows().await, (1, 2));
    // A day on, past web.session_ttl and web.signin_link_ttl: the next link clears them.
    app.clock
        .set(default_time() + jiff::SignedDuration::from_hours(24));
    app.service.signin_link(&email).await.expect("a link");
    assert_eq!(rows().await, (0, 1));
    app.stop().await;
}

#[tokio::test]
async fn the_form_keeps_the_input_shows_errors_beside_fields_and_previews_pages() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    let cookie = sign_in(&app, &email).await;
    let (status, form) = get(&app, &cookie, "/notes/new?template=i-a-item-note").await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "fields.background",
        "fields.outcome",
        "fields.action",
        "fields.meeting",
    ] {
        assert!(form.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let csrf = csrf_of(&form);
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("kind", "i-a-item-note"),
        ("language", "en"),
        ("from", "Presidency"),
        ("to", "Permanent Representatives Committee"),
        ("subject", ""),
        ("unit", UNIT),
        ("initials", "AB/cd"),
        ("codes", "JAI"),
        ("distribution", "delegations"),
        ("template", "i-a-item-note"),
        ("fields.background", "Kept background text"),
        ("fields.outcome", "An outcome"),
        ("fields.action", "adopt the decision"),
    ];
    let (status, page) = post(&app, &cookie, "/notes", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("<p class=\"field-error\" id=\"subject-error\">"),
        "{page}"
    );
    assert!(page.contains("Kept background text"), "the input is kept");

    // The preview: SVG pages, one more once the text is long.
    let (status, short) = post(&app, &cookie, "/preview", &fields).await;
    assert_eq!(status, StatusCode::OK, "{short}");
    assert_eq!(short.matches("<svg ").count(), 1, "{short}");
    let long = "A long paragraph of background that goes on. ".repeat(200);
    let mut longer = fields.clone();
    longer.retain(|(k, _)| *k != "fields.background");
    longer.push(("fields.background", &long));
    let (_, two) = post(&app, &cookie, "/preview", &longer).await;
    assert!(two.matches("<svg ").count() >= 2, "{}", two.len());

    fields.retain(|(k, _)| *k != "subject");
    fields.push(("subject", "A subject"));
    let response = browser()
        .post(app.url("/notes"))
        .header("cookie", &cookie)
        .form(&fields)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    let (status, page) = get(&app, &cookie, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("A subject") && page.contains("/submit"),
        "{page}"
    );
    let id = location.trim_start_matches("/notes/");
    let note: serde_json::Value = app.get_note(id).await.json().await.expect("JSON");
    assert_eq!(
        note["spec"]["fields"]["background"],
        json!("Kept background text")
    );
    app.stop().await;
}

#[tokio::test]
async fn desk_pages_are_private_and_sign_in_bodies_are_small() {
    let db = TestDb::sqlite();
    let app = TestApp::spawn(&settings_for(&db)).await;
    let response = browser().get(app.url("/signin")).send().await.expect("GET");
    let headers = response.headers();
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let big = "x".repeat(70 * 1024);
    for path in ["/signin", "/signin/abc"] {
        let response = browser()
            .post(app.url(path))
            .form(&[("email", big.as_str())])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
    // French when the browser asks for it, and switchable.
    let response = browser()
        .get(app.url("/signin"))
        .header("accept-language", "fr-BE,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("GET");
    assert!(
        response
            .text()
            .await
            .unwrap_or_default()
            .contains("Se connecter")
    );
    let response = browser()
        .get(app.url("/signin?lang=fr"))
        .send()
        .await
        .expect("GET");
    let kept = response.headers()["set-cookie"]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(kept.starts_with("notesd_lang=fr"), "{kept}");
    app.stop().await;
}

async fn the_list_filters_and_searches_number_and_subject(db: TestDb) {
    let app = TestApp::spawn(&settings_for(&db)).await;
    let email = add_person(&app, PERSON, &[UNIT]).await;
    let mut first = crate::helpers::spec(&["JAI"]);
    first["subject"] = "Joint Declaration on 100% of Ministers".into();
    let first = app.register(&first).await;
    let mut second = crate::helpers::spec(&["JAI"]);
    second["subject"] = "Outcome of proceedings".into();
    let second = app.register(&second).await;
    let cookie = sign_in(&app, &email).await;
    let number = |note: &serde_json::Value| note["number"].as_str().unwrap_or("?").to_owned();
    let shown = |page: &str| -> Vec<String> {
        [&first, &second]
            .iter()
            .map(|n| number(n))
            .filter(|n| page.contains(&format!(">{n}</a>")))
            .collect()
    };
    for (query, expected) in [
        ("", vec![number(&first), number(&second)]),
        ("?q=joint+DECLARATION", vec![number(&first)]),
        ("?q=100%25", vec![number(&first)]),
        ("?q=_", vec![]),
        (&format!("?q={}", number(&second)), vec![number(&second)]),
        (
            "?state=draft&unit=JAI.1&year=2026",
            vec![number(&first), number(&second)],
        ),
        ("?state=issued", vec![]),
        ("?unit=COSI.2", vec![]),
        ("?year=2025", vec![]),
    ] {
        let (status, page) = get(&app, &cookie, &format!("/notes{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(shown(&page), expected, "{query}");
    }
    let (status, page) = get(&app, &cookie, "/notes?state=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    app.stop().await;
    db.remove().await;
}

#[tokio::test]
async fn the_list_filters_and_searches_number_and_subject_on_sqlite() {
    the_list_filters_and_searches_number_and_subject(TestDb::sqlite()).await;
}

#[tokio::test]
async fn the_list_filters_and_searches_number_and_subject_on_postgres() {
    if let Some(db) =
        TestDb::postgres("the_list_filters_and_searches_number_and_subject_on_postgres").await
    {
        the_list_filters_and_searches_number_and_subject(db).await;
    }
}
