//! The micro-frontend platform in real Chromium: composition, routing, parcels, failure
//! isolation, deploys into open pages, rollback, old bundle URLs, responsive layout.

use std::time::Duration;

use anyhow::Context;

use tessera_e2e::{Browser, System, button, dist_or_skip, error_slot, heading, nav_link};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_mounts_nav_and_the_routed_app_and_navigation_swaps_apps() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(1280, 800).await?;
    // Orders is a customer's page (a protected route): sign in first.
    browser.sign_in(&system, "Alice Customer", "/", &heading("Restaurants")).await?;
    browser.wait_for("//header//*[normalize-space()='Tessera Eats']").await?;
    browser.eval("window.__samePage = true").await?;

    browser.click(&nav_link("Orders")).await?;
    browser.wait_for(&heading("Your orders")).await?;
    browser.wait_gone("//section[@data-app='menus']").await?;
    assert_eq!(browser.eval("return window.location.pathname").await?, "/orders");
    assert_eq!(browser.eval("return window.__samePage === true").await?, true, "navigation must not reload the page");
    let current = browser.wait_for("//a[@aria-current='page']").await?.text().await?;
    assert!(current.contains("Orders"), "current nav entry: {current}");

    let marks = browser
        .eval("return ['mfe:shell-ready', 'mfe:mounted:nav', 'mfe:mounted:orders', 'mfe:first-mounted'].map(n => performance.getEntriesByName(n).length > 0)")
        .await?;
    assert_eq!(marks, serde_json::json!([true, true, true, true]), "performance marks");

    browser.client.back().await?;
    browser.wait_for(&heading("Restaurants")).await?;
    browser.goto(&system.url("/no/such/page")).await?;
    browser.wait_for(&heading("Page not found")).await?;
    browser.wait_for(&nav_link("Restaurants")).await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_mounts_inside_a_host_app_with_its_props() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(1280, 800).await?;
    browser.sign_in(&system, "Alice Customer", "/restaurants/trattoria-roma", &heading("Trattoria Roma")).await?;
    // The cart app's parcel renders inside the menus app, labelled with the item it was given.
    let group = "//li[contains(@class,'menu-item')]//div[@data-parcel='cart/add-to-cart']//*[@role='group' and @aria-label='Add Pizza Margherita to cart']";
    browser.wait_for(group).await?;
    browser.click(&format!("{group}//button[@aria-label='One more']")).await?;
    browser.wait_for(&format!("{group}//span[normalize-space()='2']")).await?;
    browser.click(&format!("{group}//button[normalize-space()='Add']")).await?;
    browser.wait_for(&format!("{group}//button[normalize-space()='Add more']")).await?;

    // Leaving the page unmounts the parcels with their host app.
    browser.click(&nav_link("Cart")).await?;
    browser.wait_for(&heading("Your cart")).await?;
    browser.wait_gone("//*[@data-parcel]").await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_apps_show_an_error_slot_while_the_rest_keeps_working() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    system.deploy_app("throws-js").await?;
    system.deploy_app("panicky").await?;
    system.deploy_app("hello-js").await?;
    let browser = Browser::open(1280, 800).await?;
    browser.sign_in(&system, "Alice Customer", "/", &heading("Restaurants")).await?;

    // mount() throws.
    browser.goto(&system.url("/fixtures/throws")).await?;
    let slot = browser.wait_for(&error_slot("throws-js")).await?;
    assert!(slot.text().await?.contains("mount failed on purpose"));
    browser.click(&nav_link("Orders")).await?;
    browser.wait_for(&heading("Your orders")).await?;

    // A wasm panic while mounting.
    browser.click(&nav_link("Panics")).await?;
    let slot = browser.wait_for(&error_slot("panicky")).await?;
    assert!(slot.text().await?.contains("panics on purpose"), "{}", slot.text().await?);
    browser.click(&nav_link("Restaurants")).await?;
    browser.wait_for(&heading("Restaurants")).await?;

    // The bundle answers 404; Retry works once it is back. The service worker precached it
    // when it was deployed (and would answer from there, as it should offline): take it out of
    // the caches, as for a page whose worker has not kept it yet.
    let entry = system.entry_url("hello-js").await?.expect("hello-js is deployed");
    browser.wait_offline_ready().await?;
    browser.forget_cached(&entry).await?;
    // Entry URLs are /apps/<name>/<version>-<hash>/<file>, stored under <data>/host/apps/.
    let on_disk = system.data.path().join("host").join(entry.trim_start_matches('/'));
    let hidden = on_disk.with_extension("hidden");
    std::fs::rename(&on_disk, &hidden)?;
    browser.click(&nav_link("Hello (JS)")).await?;
    browser.wait_for(&error_slot("hello-js")).await?;
    browser.wait_for("//nav[@aria-label='Main']").await?;
    std::fs::rename(&hidden, &on_disk)?;
    browser.click(&format!("{}{}", error_slot("hello-js"), button("Retry"))).await?;
    browser.wait_for(&heading("Hello, there!")).await?;
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_deployed_into_an_open_page_appears_without_a_reload_and_rollback_removes_it() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let browser = Browser::open(1280, 800).await?;
    browser.goto(&system.url("/")).await?;
    browser.wait_for(&heading("Restaurants")).await?;
    browser.eval("window.__samePage = true").await?;
    assert!(!browser.exists(&nav_link("Hello (JS)")).await?);

    system.deploy_app("hello-js").await?;
    browser.click(&nav_link("Hello (JS)")).await?;
    browser.wait_for(&heading("Hello, there!")).await?;
    // Route params reach the app through update(props).
    browser.click("//a[normalize-space()='Greet a friend']").await?;
    browser.wait_for(&heading("Hello, friend!")).await?;
    assert_eq!(browser.eval("return window.__samePage === true").await?, true, "the page must not reload");

    system.deploy.rollback("hello-js").await?;
    browser.wait_gone(&nav_link("Hello (JS)")).await?;
    browser.wait_for(&heading("Page not found")).await?;
    assert_eq!(browser.eval("return window.__samePage === true").await?, true, "the page must not reload");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_bundle_urls_keep_loading_after_a_newer_version_is_deployed() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    system.deploy_app("hello-js").await?;
    let old = system.entry_url("hello-js").await?.expect("deployed");

    let dir = system.app_dir("hello-js")?;
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("mfe.json"))?)?;
    manifest["version"] = "1.0.1".into();
    let mut index = std::fs::read_to_string(dir.join("index.js"))?;
    index.push_str("\n// 1.0.1\n");
    system
        .deploy
        .deploy_files(vec![
            ("mfe.json".into(), serde_json::to_vec(&manifest)?),
            ("index.js".into(), index.into_bytes()),
            ("hello.css".into(), std::fs::read(dir.join("hello.css"))?),
        ])
        .await?;
    let new = system.entry_url("hello-js").await?.expect("deployed");
    assert_ne!(old, new);

    let browser = Browser::open(1280, 800).await?;
    browser.goto(&system.url("/hello")).await?;
    browser.wait_for(&heading("Hello, there!")).await?;
    let loaded = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; import(arguments[0]).then(m => done(typeof m.mount), e => done(String(e)));",
            vec![old.clone().into()],
        )
        .await?;
    assert_eq!(loaded, "function", "the old entry {old} must still load");
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layout_is_a_responsive_app_shell_at_390_and_1280_pixels() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    for (width, height) in [(1280, 800), (390, 844)] {
        let browser = Browser::open(width, height).await?;
        browser.sign_in(&system, "Alice Customer", "/", &heading("Restaurants")).await?;
        for (path, title, name) in [("/", "Restaurants", "menus"), ("/restaurants/trattoria-roma", "Trattoria Roma", "restaurant-page"), ("/orders", "Your orders", "orders")] {
            browser.goto(&system.url(path)).await?;
            browser.wait_for(&heading(title)).await?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            browser.screenshot(&format!("platform-{name}-{width}")).await?;
        }
        let overflow = browser.eval("return document.documentElement.scrollWidth - window.innerWidth").await?;
        assert!(overflow.as_i64().unwrap_or(1) <= 0, "horizontal overflow at {width}px: {overflow}");
        let layout = browser
            .eval(
                "const r = s => document.querySelector(s).getBoundingClientRect();
                 return { header: r('header.topbar').bottom, navLeft: r('nav.sidenav').right, navBottom: r('nav.sidenav').bottom, mainTop: r('#slot-main').top, mainLeft: r('#slot-main').left };",
            )
            .await?;
        let get = |k: &str| layout[k].as_f64().unwrap_or(f64::NAN);
        assert!(get("mainTop") >= get("header") - 1.0, "main starts below the header: {layout}");
        if width >= 1000 {
            assert!(get("mainLeft") >= get("navLeft") - 1.0, "nav is a left column at {width}px: {layout}");
        } else {
            assert!(get("mainTop") >= get("navBottom") - 1.0, "nav sits above main at {width}px: {layout}");
        }
        browser.close().await?;
    }
    Ok(())
}

/// Compression Dictionary Transport: after the shell, Chromium holds its wasm and JS glue as
/// dictionaries, asks for app files as `dcb`, gets them compressed against the shell (a third or
/// more smaller than brotli alone), decodes them, and the apps run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_arrive_compressed_against_the_shell_and_run() -> anyhow::Result<()> {
    let dist = dist_or_skip!();
    let system = System::start(&dist).await?;
    let http = reqwest::Client::new();
    let shell_wasm = system.url(&tessera_e2e::shell_wasm_url(&dist)?);
    let shell = http.get(&shell_wasm).header("accept-encoding", "br").send().await?.error_for_status()?;
    assert_eq!(shell.headers()["use-as-dictionary"], "match=\"/apps/*.wasm\"");
    assert_eq!(shell.headers()["content-encoding"], "br");

    let browser = Browser::open(1280, 800).await?;
    browser.goto(&system.url("/")).await?;
    browser.wait_for(&heading("Restaurants")).await?;
    browser.wait_for(&nav_link("Restaurants")).await?;
    let transfers = browser
        .eval(
            "return performance.getEntriesByType('resource')
                .filter(e => new URL(e.name).pathname.startsWith('/apps/') && /(\\.wasm|_app\\.js)$/.test(e.name))
                .map(e => ({ path: new URL(e.name).pathname, encoding: e.contentEncoding, encoded: e.encodedBodySize, decoded: e.decodedBodySize }))",
        )
        .await?;
    let transfers = transfers.as_array().context("resource entries")?;
    // nav and menus: each a wasm and a JS glue file.
    assert_eq!(transfers.len(), 4, "{transfers:#?}");
    for transfer in transfers {
        let path = transfer["path"].as_str().context("path")?;
        let brotli = http.get(system.url(path)).header("accept-encoding", "br").send().await?.error_for_status()?;
        assert_eq!(brotli.headers()["content-encoding"], "br", "{path} without a dictionary");
        let brotli = brotli.bytes().await?.len() as u64;
        let encoded = transfer["encoded"].as_u64().context("encodedBodySize")?;
        eprintln!("{path}: {encoded} bytes against the shell, {brotli} as brotli alone");
        assert_eq!(transfer["encoding"], "dcb", "{path}: {transfer}");
        assert!(encoded * 10 < brotli * 8, "{path}: {encoded} bytes against the shell, {brotli} as brotli alone");
    }
    browser.close().await
}
