//! Errors on the banner, and the rest still working.

use super::*;

#[test]
fn errors_show_on_a_banner_and_the_rest_keeps_working() {
    let mut model = Model::new();
    model.now = now();
    let mut server = FakeServer::new(100);
    server.fail_with = Some(ApiError::Forbidden {
        message: "not allowed".into(),
    });
    let cmds = init(&mut model);
    settle(&mut model, &server, cmds);
    let banner = model.banner.clone().expect("a banner");
    assert!(banner.error);
    assert!(banner.text.contains("403"), "{}", banner.text);
    assert!(model.users.error.is_some());
    // R retries; now the server answers.
    let cmds = type_keys(&mut model, "R");
    assert!(model.banner.is_none());
    settle(&mut model, &FakeServer::new(100), cmds);
    assert_eq!(model.users.total, Some(100));
    assert!(model.users.error.is_none());

    let mut offline = FakeServer::new(1);
    offline.fail_with = Some(ApiError::Connection {
        url: "http://x".into(),
        reason: "refused".into(),
    });
    let cmds = type_keys(&mut model, "R");
    settle(&mut model, &offline, cmds);
    assert!(
        model
            .banner
            .as_ref()
            .is_some_and(|b| b.text.contains("does not answer"))
    );
    assert!(model.connection.is_offline());
    assert_eq!(model.users.total, Some(100), "what was loaded stays");
    update(&mut model, key(KeyCode::Esc));
    assert!(model.banner.is_none());
}
