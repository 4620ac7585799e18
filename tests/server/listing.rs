//! Listing users: filters, sorting, paging, counts, keyword search and CQL.

use reqwest::StatusCode;
use serde_json::Value;

use super::harness::{Harness, SharedServer, field_of, ids, urlencode};

/// For the tests that only read: the others count users they add.
static SEARCH: SharedServer = SharedServer::new(400);

#[tokio::test]
async fn listing_filters_sorts_pages_and_counts() {
    let h = Harness::start(300).await;
    let t = &h.admin_token;
    let count = |body: &Value| body["count"].as_u64().expect("count");

    let (_, disabled) = h.get("users/?f=json&status=Disabled&limit=1000", t).await;
    assert!(!disabled.as_array().expect("array").is_empty());
    assert!(
        disabled
            .as_array()
            .expect("array")
            .iter()
            .all(|u| u["status"] == "Disabled")
    );
    let (_, n) = h.get("users/?status=Disabled&return_count=true", t).await;
    assert_eq!(
        count(&n) as usize,
        disabled.as_array().expect("array").len()
    );
    let (code, body) = h.get("users/?status=Sleeping", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "status")
    );

    // Paging: skip/limit cut one ordering consistently; limit is capped.
    let (_, all) = h
        .get("users/?order_by=last_name+A,+created_at+D&limit=1000", t)
        .await;
    let all = ids(&all);
    assert_eq!(all.len(), 301, "the cap (1000) is above 301");
    let (_, page) = h
        .get(
            "users/?order_by=last_name+A,+created_at+D&skip=20&limit=7",
            t,
        )
        .await;
    assert_eq!(ids(&page), all[20..27]);
    let (_, capped) = h.get("users/?limit=5000", t).await;
    assert_eq!(ids(&capped).len(), 301);
    let (_, by_created) = h.get("users/?order_by=created_at+D&limit=50", t).await;
    let created: Vec<&str> = by_created
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["created_at"].as_str().expect("created_at"))
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));
    let (code, body) = h.get("users/?order_by=password_hash+A", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "order_by")
    );
    let (code, _) = h.get("users/?limit=-1", t).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);

    // Keyword search: substring, case-insensitive, over the chosen fields.
    h.create("zz.searchable", "Viewer", "Active", "search-pass")
        .await;
    let (_, found) = h.get("users/?search=SEARCHAB", t).await;
    assert_eq!(found[0]["username"], "zz.searchable");
    let (_, in_email) = h
        .get("users/?search=searchable%40example&search_fields=email", t)
        .await;
    assert_eq!(ids(&in_email).len(), 1);
    let (_, not_in_names) = h
        .get(
            "users/?search=searchable&search_fields=first_name,last_name",
            t,
        )
        .await;
    assert!(ids(&not_in_names).is_empty());
    let (_, short) = h
        .get(
            "users/?search=zz&search_fields=username&return_count=True",
            t,
        )
        .await;
    assert!(count(&short) >= 1);
    let (code, body) = h.get("users/?search=x&search_fields=password", t).await;
    assert_eq!(
        (code, field_of(&body).as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "search_fields")
    );
    // q wins over search.
    let (_, q_wins) = h.get("users/?q=id+%3D+1&search=searchable", t).await;
    assert_eq!(ids(&q_wins), [1]);

    // user_id: the members of that user.
    let (_, subs) = h.get("users/?q=parent_id+IS+NOT+NULL&limit=1", t).await;
    let parent = subs[0]["parent_id"].as_i64().expect("a seeded sub-user");
    let (_, members) = h
        .get(&format!("users/?user_id={parent}&limit=1000"), t)
        .await;
    assert!(
        members
            .as_array()
            .expect("array")
            .iter()
            .all(|u| u["parent_id"] == parent)
    );
    assert!(ids(&members).contains(&subs[0]["id"].as_i64().expect("id")));
    h.stop().await;
}

#[tokio::test]
async fn cql_filters_compile_and_errors_say_where() {
    let h = Harness::start(300).await;
    let t = &h.admin_token;

    let (code, editors) = h
        .q("role = 'Editor' AND (status = 'Active' OR status = 'New')")
        .await;
    assert_eq!(code, StatusCode::OK);
    let editors = editors.as_array().expect("array");
    assert!(!editors.is_empty());
    assert!(
        editors
            .iter()
            .all(|u| u["role"] == "Editor" && (u["status"] == "Active" || u["status"] == "New"))
    );

    let (_, range) = h.q("id BETWEEN 10 AND 19 AND NOT id IN (12, 13)").await;
    let ids: Vec<i64> = range
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [10, 11, 14, 15, 16, 17, 18, 19]);

    let (_, old) = h
        .q("created_at < DATE('2020-06-01') AND plan_id IS NULL")
        .await;
    assert!(old.as_array().expect("array").iter().all(|u| {
        u["created_at"].as_str().expect("created_at") < "2020-06-01" && u["plan"].is_null()
    }));

    h.create("Case.Sensitive", "Viewer", "Active", "case-pass")
        .await;
    let (_, like) = h.q("username LIKE 'case.%'").await;
    assert!(
        like.as_array().expect("array").is_empty(),
        "LIKE is case-sensitive"
    );
    let (_, ilike) = h.q("username ILIKE 'case.%'").await;
    assert_eq!(ilike[0]["username"], "Case.Sensitive");
    let (_, contains) = h.q("username LIKE '%se.Sens%'").await;
    assert_eq!(contains.as_array().expect("array").len(), 1);
    let (_, underscore) = h.q("username LIKE 'Case_Sensitiv_'").await;
    assert_eq!(underscore.as_array().expect("array").len(), 1);
    let (_, persian) = h
        .get(
            &format!(
                "users/?q={}&return_count=True",
                urlencode("last_name = 'احمدی' OR last_name = 'Ahmadi'")
            ),
            t,
        )
        .await;
    assert!(persian["count"].as_u64().expect("count") > 0);

    let (code, body) = h.q("username = 'a' OR foo = 1").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&body), "q");
    let msg = body["detail"][0]["msg"].as_str().expect("msg");
    assert!(
        msg.starts_with("unknown field 'foo' at position 19; known fields: id, username"),
        "{msg}"
    );
    let (code, body) = h.q("username = 'x' AND").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["detail"][0]["msg"]
            .as_str()
            .expect("msg")
            .contains("position 19"),
        "{body}"
    );
    let (code, _) = h.q("username = 'x'; DROP TABLE users; --").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, survived) = h.get("users/?return_count=True", t).await;
    assert_eq!(survived["count"], 302);
    let (code, body) = h.q("username = 'x'' OR ''1''=''1'").await;
    assert_eq!(
        code,
        StatusCode::OK,
        "quotes stay inside the literal: {body}"
    );
    assert!(body.as_array().expect("array").is_empty());
    h.stop().await;
}

#[tokio::test]
async fn odd_search_terms_are_searched_for_not_parsed() {
    let h = Harness::shared(&SEARCH);
    let t = &h.admin_token;
    for term in [
        "\"",
        "a\"b\"c",
        "NEAR(x",
        "{username}",
        "*",
        "%_\\",
        "OR AND NOT",
        "رضا",
        "' OR 1=1 --",
        "x:y",
        "^abc",
        "-",
    ] {
        for path in ["users/?search=", "users/search/?search="] {
            let url = format!("{path}{}&search_fields=", urlencode(term));
            let (code, body) = h.get(&url, t).await;
            assert_eq!(code, StatusCode::OK, "{term:?}: {body}");
            assert!(body.is_array(), "{term:?}: {body}");
        }
    }
    let (_, percent) = h.get("users/?search=%25&return_count=True", t).await;
    assert_eq!(percent["count"], 0, "% is a character, not a wildcard");
    h.stop().await;
}

#[tokio::test]
async fn search_pages_and_counts_agree_whatever_the_plan() {
    let h = Harness::shared(&SEARCH);
    let t = &h.admin_token;
    for term in ["reza", "gmail", "ka", "ali rez", "+98 91"] {
        for status in ["", "&status=Active"] {
            let base = format!("users/?search={}{status}", urlencode(term));
            let (_, up) = h.get(&format!("{base}&limit=1000"), t).await;
            let (_, down) = h.get(&format!("{base}&limit=1000&order_by=id+D"), t).await;
            let (_, by_name) = h
                .get(&format!("{base}&limit=1000&order_by=last_name+A"), t)
                .await;
            let (_, count) = h.get(&format!("{base}&return_count=True"), t).await;
            let up = ids(&up);
            assert!(up.windows(2).all(|w| w[0] < w[1]), "{term}: ascending ids");
            let mut reversed = ids(&down);
            reversed.reverse();
            assert_eq!(up, reversed, "{term}{status}: same rows either way");
            let mut sorted = ids(&by_name);
            sorted.sort_unstable();
            assert_eq!(up, sorted, "{term}{status}: same rows by name");
            assert_eq!(
                count["count"].as_u64(),
                Some(up.len() as u64),
                "{term}{status}"
            );
            let (_, page) = h.get(&format!("{base}&skip=3&limit=4"), t).await;
            assert_eq!(
                ids(&page),
                up.iter().skip(3).take(4).copied().collect::<Vec<_>>()
            );
        }
    }
    let (_, gmail) = h.get("users/?search=gmail&return_count=True", t).await;
    assert!(
        gmail["count"].as_u64().expect("count") > 50,
        "a common term: {gmail}"
    );
    h.stop().await;
}
