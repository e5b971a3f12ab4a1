//! A source with no feed: a government-style list page on a loopback server, its
//! articles opened once, extracted, stored; the alarm when the list disappears.

use crate::support::server::{FixtureServer, Reply};
use crate::support::{self};
use tokio_util::sync::CancellationToken;

fn nav() -> String {
    let mut s = String::from(r#"<div class="top-nav"><ul>"#);
    for (i, name) in [
        "首页",
        "政务公开",
        "政务服务",
        "互动交流",
        "走进博州",
        "专题专栏",
        "数据发布",
        "政策文件",
        "人事信息",
        "规划计划",
    ]
    .iter()
    .enumerate()
    {
        s.push_str(&format!(
            r#"<li><a href="/channel/{i}.html">{name}</a></li>"#
        ));
    }
    s.push_str("</ul></div>");
    s
}

fn footer() -> &'static str {
    r#"<div class="footer"><p>主办单位：某某州人民政府办公室</p><p>备案序号：新ICP备05000001号-1 政府网站标识码：6527000001</p>
    <ul class="links"><li><a href="http://www.gov.cn/">中国政府网</a></li><li><a href="http://www.xinjiang.gov.cn/">新疆维吾尔自治区人民政府</a></li><li><a href="http://www.most.gov.cn/">科技部</a></li></ul></div>"#
}

fn list_page(items: &[(&str, &str, &str)]) -> String {
    let mut lis = String::new();
    for (href, title, date) in items {
        lis.push_str(&format!(r#"<li><a href="{href}" target="_blank" title="{title}">{title}</a><span class="date">{date}</span></li>"#));
    }
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>区内要闻_某某州人民政府网</title></head><body>
{nav}
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwdt/">政务动态</a> &gt; 区内要闻</div>
<div class="side"><h3>通知公告</h3><ul><li><a href="/tzgg/1.html">关于开展安全生产检查的通知</a></li><li><a href="/tzgg/2.html">2022年度部门预算公开</a></li></ul>
<h3>专题专栏</h3><ul><li><a href="/ztzl/a.html">学习贯彻党的二十大精神</a></li><li><a href="/ztzl/b.html">优化营商环境</a></li></ul></div>
<div class="main"><div class="list"><ul>{lis}</ul></div>
<div class="page"><a href="index.html">首页</a> <a href="index.html">上一页</a> <a href="index_1.html">1</a> <a href="index_2.html">2</a> <a href="index_1.html">下一页</a> <a href="index_2.html">尾页</a></div></div>
{footer}</body></html>"#,
        nav = nav(),
        footer = footer()
    )
}

fn article_page(title: &str, meta: &str, paras: &[&str], charset_meta: bool) -> String {
    let body: String = paras
        .iter()
        .map(|p| format!("<p style=\"text-indent:2em\">{p}</p>"))
        .collect();
    format!(
        r##"<!DOCTYPE html><html><head>{cs}<title>{title}_区内要闻_某某州人民政府网</title></head><body>
{nav}
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwdt/">政务动态</a> &gt; 区内要闻</div>
<div class="article"><h1>{title}</h1><div class="info">{meta} 【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div class="content">{body}</div>
<div class="editor">责任编辑：王某某</div>
<div class="tools"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a> 分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="prenext"><p>上一篇：<a href="/zwdt/qnyw/prev.html">州领导调研春耕备耕工作</a></p><p>下一篇：<a href="/zwdt/qnyw/next.html">全州安全生产工作会议召开</a></p></div>
</div>
{footer}</body></html>"##,
        cs = if charset_meta {
            r#"<meta http-equiv="Content-Type" content="text/html; charset=utf-8">"#
        } else {
            ""
        },
        nav = nav(),
        footer = footer()
    )
}

const P1: &str = "9月6日，自治州科协组织开展科普大篷车进基层活动，走进博乐市青得里镇，为当地群众送去丰富多彩的科普展品和科普图书，受到广大群众的欢迎。";
const P2: &str = "活动现场，科技工作者向群众讲解了棉花病虫害防治、农业机械安全使用等实用技术，并发放科普资料三千余份，现场解答群众提出的问题四十余个。";
const P3: &str = "自治州科协负责同志表示，下一步将继续深入开展科普进基层活动，推动科普资源向基层倾斜，不断提升群众科学素质，为乡村振兴提供科技支撑。";

#[tokio::test]
async fn a_list_page_becomes_full_text_items_and_each_article_is_fetched_once() {
    let s = FixtureServer::start().await;
    let items = [
        (
            "t20220907_1.html",
            "自治州科协开展科普大篷车进基层活动",
            "2022-09-07",
        ),
        (
            "t20220906_2.html",
            "博州召开棉花采收工作推进会议",
            "2022-09-06",
        ),
        ("t20220905_3.html", "全州秋季农业生产形势良好", "2022-09-05"),
        (
            "files/t20220904_4.pdf",
            "关于印发某某州2022年重点工作的通知",
            "2022-09-04",
        ),
    ];
    s.set("/zwdt/qnyw/", Reply::ok("text/html", list_page(&items)));
    s.set(
        "/zwdt/qnyw/t20220907_1.html",
        Reply::ok(
            "text/html; charset=utf-8",
            article_page(
                "自治州科协开展科普大篷车进基层活动",
                "时间:2022-09-07 10:45 作者:谢慧变 来源:天山网-新疆日报 点击量:",
                &[P1, P2, P3],
                true,
            ),
        ),
    );
    // GBK bytes with no charset anywhere: detection must read them.
    let gbk = article_page(
        "博州召开棉花采收工作推进会议",
        "发布时间：2022年09月06日 16:20 来源：博州融媒体中心",
        &[P2, P3, P1],
        false,
    );
    let (gbk_bytes, _, _) = encoding_rs::GBK.encode(&gbk);
    s.set(
        "/zwdt/qnyw/t20220906_2.html",
        Reply::ok("text/html", gbk_bytes.into_owned()),
    );
    s.set(
        "/zwdt/qnyw/t20220905_3.html",
        Reply::ok(
            "text/html; charset=utf-8",
            article_page(
                "全州秋季农业生产形势良好",
                "日期：2022年9月5日",
                &[P3, P1, P2],
                true,
            ),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[daemon]\ndata_dir = \"data\"\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8080\"\ntimezone = \"Asia/Shanghai\"\nschedule = \"0 */15 * * * *\"\n[fetch]\nper_host_interval_ms = 0\n[[source]]\nid = \"boz-qnyw\"\nurl = \"{}\"\nkind = \"html\"\nfull_text = true\n",
        s.url("/zwdt/qnyw/")
    );
    let config = support::config(dir.path(), &toml);
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let cancel = CancellationToken::new();

    let out = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(out.article_errors.is_empty(), "{:?}", out.article_errors);
    let got: Vec<_> = out.stored.iter().map(|s| s.item.clone()).collect();
    assert_eq!(got.len(), 4, "three articles and one attachment: {got:#?}");
    let first = &got[0];
    assert_eq!(first.title, "自治州科协开展科普大篷车进基层活动");
    assert_eq!(
        first.url.as_deref(),
        Some(s.url("/zwdt/qnyw/t20220907_1.html").as_str())
    );
    assert_eq!(
        first.published.unwrap().to_string(),
        "2022-09-07T10:45:00+08:00"
    );
    assert_eq!(first.author.as_deref(), Some("谢慧变"));
    assert_eq!(first.origin.as_deref(), Some("天山网-新疆日报"));
    let text = first.content_text.as_deref().unwrap();
    assert!(
        text.contains("科普大篷车进基层活动") && text.contains("乡村振兴提供科技支撑"),
        "{text}"
    );
    for junk in [
        "打印本页",
        "关闭窗口",
        "责任编辑",
        "上一篇",
        "备案序号",
        "字体",
        "点击量",
        "当前位置",
    ] {
        assert!(!text.contains(junk), "boilerplate {junk:?} in body: {text}");
    }
    let second = &got[1];
    assert_eq!(
        second.title, "博州召开棉花采收工作推进会议",
        "GBK page decoded"
    );
    assert!(
        second
            .content_text
            .as_deref()
            .unwrap()
            .contains("棉花病虫害防治")
    );
    assert_eq!(
        second.published.unwrap().to_string(),
        "2022-09-06T16:20:00+08:00"
    );
    assert_eq!(second.origin.as_deref(), Some("博州融媒体中心"));
    assert_eq!(second.author, None, "no author on the page: none guessed");
    assert_eq!(got[2].published.unwrap().to_string(), "2022-09-05");
    let pdf = &got[3];
    assert!(pdf.url.as_deref().unwrap().ends_with(".pdf"));
    assert_eq!(pdf.title, "关于印发某某州2022年重点工作的通知");
    assert!(
        s.requests("/zwdt/qnyw/files/t20220904_4.pdf").is_empty(),
        "attachments are not opened"
    );

    // Next poll: the list is read again, no article page is fetched again.
    let again = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(again.stored.is_empty(), "{:?}", again.stored);
    for (href, _, _) in &items[..3] {
        assert_eq!(
            s.requests(&format!("/zwdt/qnyw/{href}")).len(),
            1,
            "{href} fetched once"
        );
    }

    // The list disappears (a redesign): an alarm, nothing deleted.
    s.set(
        "/zwdt/qnyw/",
        Reply::ok(
            "text/html",
            format!(
                "<html><body>{}<p>网站改版中</p>{}</body></html>",
                nav(),
                footer()
            ),
        ),
    );
    let broken = poller.poll(&source, false, &cancel).await.unwrap();
    assert_eq!(broken.entries, 0, "no list on the page");
    assert!(
        broken
            .alarm
            .as_deref()
            .unwrap_or("")
            .contains("yielded no items"),
        "{:?}",
        broken.alarm
    );
    let st = store.source_state("boz-qnyw").unwrap();
    assert!(st.alarm.is_some());
    assert_eq!(store.count_items("boz-qnyw"), 4);
}

#[tokio::test]
async fn articles_over_the_per_poll_cap_are_fetched_next_time_even_if_the_list_is_unchanged() {
    let s = FixtureServer::start().await;
    let items = [
        ("t1.html", "第一篇文章的标题比较长一些", "2022-09-07"),
        ("t2.html", "第二篇文章的标题比较长一些", "2022-09-06"),
        ("t3.html", "第三篇文章的标题比较长一些", "2022-09-05"),
    ];
    s.set(
        "/list/",
        Reply::ok("text/html", list_page(&items)).etag("\"l1\""),
    );
    for (href, title, date) in &items {
        let meta = format!("发布时间：{date}");
        s.set(
            &format!("/list/{href}"),
            Reply::ok(
                "text/html; charset=utf-8",
                article_page(title, &meta, &[P1, P2, P3], true),
            ),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[daemon]\ndata_dir = \"data\"\n[fetch]\nper_host_interval_ms = 0\n[[source]]\nid = \"capped\"\nurl = \"{}\"\n",
        s.url("/list/")
    );
    let config = support::config(dir.path(), &toml);
    let (mut poller, _store) = support::poller(config);
    poller.max_articles = 2;
    let source = poller.config.get().sources[0].clone();
    let cancel = CancellationToken::new();
    let first = poller.poll(&source, false, &cancel).await.unwrap();
    assert_eq!(first.stored.len(), 2);
    assert_eq!(first.deferred, 1);
    assert!(s.requests("/list/t3.html").is_empty());
    // The list has not changed, but the left-over article must not hide behind a 304.
    let second = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(
        s.requests("/list/")[1]
            .headers
            .get("if-none-match")
            .is_none()
    );
    let titles: Vec<_> = second
        .stored
        .iter()
        .map(|s| s.item.title.as_str())
        .collect();
    assert_eq!(titles, ["第三篇文章的标题比较长一些"]);
    assert_eq!(second.deferred, 0);
    // Nothing left: conditional GET again.
    let third = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(third.not_modified);
    assert_eq!(s.requests("/list/")[2].headers["if-none-match"], "\"l1\"");
}

#[tokio::test]
async fn a_teaser_feed_entry_with_a_tracking_guid_is_extracted_once() {
    let s = FixtureServer::start().await;
    let link = s.url("/a/1.html?utm_source=rss");
    let feed = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>要闻</title><item><guid>{link}</guid><link>{link}</link><title>自治州科协开展科普大篷车进基层活动</title><description>摘要</description></item></channel></rss>"#
    );
    s.set("/feed.xml", Reply::ok("application/rss+xml", feed));
    s.set(
        "/a/1.html",
        Reply::ok(
            "text/html; charset=utf-8",
            article_page(
                "自治州科协开展科普大篷车进基层活动",
                "时间:2022-09-07 10:45",
                &[P1, P2, P3],
                true,
            ),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[daemon]\ndata_dir = \"data\"\n[fetch]\nper_host_interval_ms = 0\n[[source]]\nid = \"teasers\"\nurl = \"{}\"\nfull_text = true\n",
        s.url("/feed.xml")
    );
    let (poller, _store) = support::poller(support::config(dir.path(), &toml));
    let source = poller.config.get().sources[0].clone();
    let cancel = CancellationToken::new();
    let first = poller.poll(&source, false, &cancel).await.unwrap();
    assert_eq!(first.stored.len(), 1);
    assert!(
        first.stored[0]
            .item
            .content_text
            .as_deref()
            .unwrap()
            .contains("科普大篷车")
    );
    let second = poller.poll(&source, false, &cancel).await.unwrap();
    assert!(second.stored.is_empty());
    assert_eq!(
        s.requests("/a/1.html").len(),
        1,
        "the stored article is not fetched again"
    );
}

/// A config of one html source at `url` with `extra` lines, and no `daemon.timezone`.
fn config_without_zone(dir: &std::path::Path, url: &str, extra: &str) -> tidings::config::Config {
    let toml = format!(
        "[daemon]\ndata_dir = \"data\"\nlisten = \"127.0.0.1:0\"\n[fetch]\nper_host_interval_ms = 0\ntimeout_secs = 5\n[[source]]\nid = \"s\"\nurl = \"{url}\"\nkind = \"html\"\n{extra}\n"
    );
    support::config(dir, &toml)
}

#[tokio::test]
async fn without_a_configured_zone_naive_times_follow_the_pages_evidence() {
    let s = FixtureServer::start().await;
    let titles = [
        "自治州科协开展科普大篷车进基层活动",
        "博州召开棉花采收工作推进会议",
        "全州秋季农业生产形势良好",
    ];
    let links: Vec<(String, &str, String)> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("t{i}.html"), *t, format!("2022-09-0{}", 7 - i)))
        .collect();
    let list: Vec<(&str, &str, &str)> = links
        .iter()
        .map(|(h, t, d)| (h.as_str(), *t, d.as_str()))
        .collect();
    s.set("/zwdt/qnyw/", Reply::ok("text/html", list_page(&list)));
    for (i, t) in titles.iter().enumerate() {
        s.set(
            &format!("/zwdt/qnyw/t{i}.html"),
            Reply::ok(
                "text/html; charset=utf-8",
                article_page(
                    t,
                    &format!(
                        "时间:2022-09-0{} 10:45 作者:谢慧变 来源:天山网-新疆日报",
                        7 - i
                    ),
                    &[P1, P2, P3],
                    true,
                ),
            ),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let config = config_without_zone(dir.path(), &s.url("/zwdt/qnyw/"), "");
    assert!(!config.daemon.timezone_set);
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let out = poller
        .poll(&source, false, &CancellationToken::new())
        .await
        .unwrap();
    // Not 10:45 UTC: the page's ICP 备案 number in its footer places it in China.
    assert_eq!(
        out.stored[0].item.published.unwrap().to_string(),
        "2022-09-07T10:45:00+08:00"
    );
    let state = store.source_state("s").unwrap();
    assert_eq!(state.zone.as_deref(), Some("Asia/Shanghai"));
    let why = state.zone_reason.unwrap();
    assert!(why.contains("ICP备"), "{why}");
}

#[tokio::test]
async fn a_charset_override_reads_a_site_whose_declaration_and_bytes_lie() {
    const TITLE: &str = "縣政府召開經濟工作會議";
    const PARA: &str = "這是一個關於縣裡經濟發展的新聞報導，記者在現場進行了採訪，我們看到了很多變化，會議要求各部門認真落實。";
    let big5 = |html: &str| encoding_rs::BIG5.encode(html).0.into_owned();
    let list = list_page(&[
        ("t1.html", TITLE, "2022-09-07"),
        ("t2.html", "縣長調研農業生產", "2022-09-06"),
        ("t3.html", "全縣安全生產會議召開", "2022-09-05"),
    ])
    .replace("utf-8", "gb2312");
    let article = article_page(TITLE, "時間:2022-09-07 10:45", &[PARA, PARA, PARA], false)
        .replace("<head>", "<head><meta charset=\"gb2312\">");
    let s = FixtureServer::start().await;
    for dir in ["a", "b"] {
        s.set(
            &format!("/{dir}/"),
            Reply::ok("text/html; charset=gb2312", big5(&list)),
        );
        for n in 1..=3 {
            s.set(
                &format!("/{dir}/t{n}.html"),
                Reply::ok("text/html; charset=gb2312", big5(&article)),
            );
        }
    }
    // Big5 bytes are valid GBK byte pairs: the declared gb2312 "agrees" with them, and
    // the page reads as nonsense unless the source says what it really is.
    let title_of = |extra: &'static str, path: &'static str| {
        let s = &s;
        async move {
            let dir = tempfile::tempdir().unwrap();
            let config = config_without_zone(dir.path(), &s.url(path), extra);
            let (poller, _store) = support::poller(config);
            let source = poller.config.get().sources[0].clone();
            let out = poller
                .poll(&source, false, &CancellationToken::new())
                .await
                .unwrap();
            let item = out
                .stored
                .first()
                .map(|s| s.item.clone())
                .expect("items stored");
            (item.title, item.content_text.unwrap_or_default())
        }
    };
    let (title, text) = title_of("charset = \"big5\"", "/a/").await;
    assert_eq!(title, TITLE);
    assert!(text.contains(PARA), "{text}");
    let (lied_to, _) = title_of("", "/b/").await;
    assert_ne!(
        lied_to, TITLE,
        "the declaration is followed without the override"
    );

    // `tidings check` rejects a charset it does not know, with its position.
    let dir = tempfile::tempdir().unwrap();
    let toml = "[[source]]\nid = \"s\"\nurl = \"https://example.org/\"\ncharset = \"klingon\"\n";
    let err = tidings::config::Config::parse(toml, &dir.path().join("feeds.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("feeds.toml:4:") && err.contains("unknown charset \"klingon\""),
        "{err}"
    );
}

#[tokio::test]
async fn an_article_page_that_keeps_failing_is_given_up_and_kept_as_a_teaser() {
    let s = FixtureServer::start().await;
    s.set(
        "/zwdt/qnyw/",
        Reply::ok(
            "text/html",
            list_page(&[
                (
                    "t1.html",
                    "自治州科协开展科普大篷车进基层活动",
                    "2022-09-07",
                ),
                ("broken.html", "博州召开棉花采收工作推进会议", "2022-09-06"),
            ]),
        ),
    );
    s.set(
        "/zwdt/qnyw/t1.html",
        Reply::ok(
            "text/html; charset=utf-8",
            article_page(
                "自治州科协开展科普大篷车进基层活动",
                "时间:2022-09-07 10:45",
                &[P1, P2, P3],
                true,
            ),
        ),
    );
    s.set("/zwdt/qnyw/broken.html", Reply::status(500));
    let dir = tempfile::tempdir().unwrap();
    let config = config_without_zone(dir.path(), &s.url("/zwdt/qnyw/"), "");
    let (poller, store) = support::poller(config);
    let source = poller.config.get().sources[0].clone();
    let cancel = CancellationToken::new();
    let broken = || s.requests("/zwdt/qnyw/broken.html").len();
    let mut fetched = 0;
    for attempt in 1..=tidings::poll::MAX_ARTICLE_TRIES {
        let out = poller.poll(&source, false, &cancel).await.unwrap();
        assert!(broken() > fetched, "attempt {attempt} fetches the page");
        fetched = broken();
        let state = store.source_state("s").unwrap();
        if attempt < tidings::poll::MAX_ARTICLE_TRIES {
            assert!(out.stored.iter().all(|s| !s.item.title.contains("棉花")));
            let tries = &state.article_tries;
            assert_eq!(tries.len(), 1, "attempt {attempt}");
            let t = tries.values().next().unwrap();
            assert_eq!(t.tries, attempt);
            // Backing off: a poll before the next try leaves the page alone …
            poller.poll(&source, false, &cancel).await.unwrap();
            assert_eq!(
                broken(),
                fetched,
                "attempt {attempt}: polled during the backoff"
            );
            // … until its time comes (moved to now instead of waiting).
            store
                .update_source_state("s", |st| {
                    for t in st.article_tries.values_mut() {
                        t.next_try = chrono::Utc::now() - chrono::Duration::seconds(1);
                    }
                })
                .unwrap();
        } else {
            // Given up: the list's entry is stored as a teaser, with the list's title and date.
            let teaser = out
                .stored
                .iter()
                .find(|s| s.item.title == "博州召开棉花采收工作推进会议")
                .expect("the teaser is stored");
            assert_eq!(teaser.item.published.unwrap().to_string(), "2022-09-06");
            assert_eq!(
                teaser.item.url.as_deref(),
                Some(s.url("/zwdt/qnyw/broken.html").as_str())
            );
            assert!(state.article_tries.is_empty());
            assert_eq!(state.given_up.len(), 1);
            assert_eq!(state.given_up[0].tries, tidings::poll::MAX_ARTICLE_TRIES);
            assert!(
                state.given_up[0].last_error.contains("500"),
                "{:?}",
                state.given_up
            );
        }
    }
    // Never asked for again.
    poller.poll(&source, false, &cancel).await.unwrap();
    assert_eq!(broken(), fetched);
    assert_eq!(s.requests("/zwdt/qnyw/t1.html").len(), 1);
}
