//! How fast the console draws and answers keys, without a terminal or a network:
//! `cargo bench --bench console`. Targets: a 160x45 frame under 1 ms; a key's update well
//! under a frame (16 ms) even with requests in flight.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use geobox_users::console::env::Env;
use geobox_users::console::fixtures::{deployments_env, env, loaded_model};
use geobox_users::console::model::Model;
use geobox_users::console::msg::Msg;
use geobox_users::console::update::update;
use geobox_users::console::view::view;

fn key(c: char) -> Msg {
    Msg::KeyPressed(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn draw_bench(c: &mut Criterion, name: &str, model: &Model, env: &Env) {
    let mut terminal =
        Terminal::new(TestBackend::new(model.width, model.height)).expect("a test terminal");
    c.bench_function(name, |b| {
        b.iter(|| {
            terminal
                .draw(|frame| view(std::hint::black_box(model), env, frame))
                .expect("drawing works");
        })
    });
}

fn frames(c: &mut Criterion) {
    let env = env();
    for (width, height) in [(80, 24), (160, 45)] {
        let model = loaded_model(width, height, 1_000_000);
        draw_bench(c, &format!("frame {width}x{height} table"), &model, &env);
    }
    let mut model = loaded_model(160, 45, 1_000_000);
    update(&mut model, &env, key('?'));
    draw_bench(c, "frame 160x45 help overlay", &model, &env);
    let mut model = loaded_model(160, 45, 1_000_000);
    update(&mut model, &env, key('f'));
    draw_bench(c, "frame 160x45 filter panel", &model, &env);
}

fn keys(c: &mut Criterion) {
    let env = env();
    // Requests in flight do not slow a key down: update never waits on them.
    let mut model = loaded_model(160, 45, 1_000_000);
    update(&mut model, &env, key('G'));
    c.bench_function("update: k while a page request is in flight", |b| {
        b.iter_batched(
            || model.clone(),
            |mut model| update(&mut model, &env, key('k')),
            BatchSize::SmallInput,
        )
    });
    // On a protected deployment every intent is first tried on a copy of the model.
    let protected = deployments_env("prod");
    let model = loaded_model(160, 45, 1_000_000);
    c.bench_function("update: j on a protected deployment", |b| {
        b.iter_batched(
            || model.clone(),
            |mut model| update(&mut model, &protected, key('j')),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("update: j elsewhere", |b| {
        b.iter_batched(
            || model.clone(),
            |mut model| update(&mut model, &env, key('j')),
            BatchSize::SmallInput,
        )
    });
    c.bench_function("update + frame: j at 160x45", |b| {
        let mut terminal = Terminal::new(TestBackend::new(160, 45)).expect("a test terminal");
        b.iter_batched(
            || model.clone(),
            |mut model| {
                update(&mut model, &env, key('j'));
                terminal
                    .draw(|frame| view(&model, &env, frame))
                    .expect("drawing works");
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, frames, keys);
criterion_main!(benches);
