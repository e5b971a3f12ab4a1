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
