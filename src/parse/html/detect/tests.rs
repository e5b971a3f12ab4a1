//! Unit tests of list detection's grouping, scoring and URL rules.

use super::urls::{is_article_url, url_shape};
use super::*;

const SH: Tz = chrono_tz::Asia::Shanghai;

/// The detected list is the column's own: `n` rows, all under `/zwdt/202209/`.
fn assert_column_list(html: &str, n: usize) {
    let items = detect_str(html);
    assert_eq!(items.len(), n);
    assert!(items.iter().all(|i| i.url.contains("/zwdt/202209/")));
}

fn detect_str(html: &str) -> Vec<ListItem> {
    let url = Url::parse("https://www.example.gov.cn/zwdt/").expect("test URL");
    detect(&Html::parse_document(html), &url, SH)
}

fn rows(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"<li><a href="/zwdt/202209/t20220907_{i}.html">全县秋粮收购工作会议召开第{i}次</a><span>2022-09-07</span></li>"#
            )
        })
        .collect()
}

#[test]
fn pagination_links_are_not_items() {
    let html = format!(
        r#"<ul class="list">{}</ul><div class="fy"><a href="index.html">首页</a><a href="index_1.html">上一页</a><a href="index_1.html">1</a><a href="index_2.html">[2]</a><a href="index_3.html">下一页</a><a href="index_9.html">尾页</a><a href="more.html">更多&gt;&gt;</a></div>"#,
        rows(3)
    );
    let items = detect_str(&html);
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i.url.contains("t20220907_")));
    for text in [
        "首页",
        "上一页",
        "下一页",
        "尾页",
        "末页",
        "2",
        "[3]",
        "更多>>",
        "More",
        "»",
        "Next ›",
    ] {
        assert!(PAGER_RE.is_match(text), "{text:?} is pagination");
    }
    for text in ["2022年工作要点", "关于下一步工作的通知", "首页改版公告发布"]
    {
        assert!(!PAGER_RE.is_match(text), "{text:?} is a title");
    }
}

#[test]
fn the_list_its_pager_follows_wins_over_a_longer_notice_block() {
    // The last page of a column shows few rows; a notice block beside it has more,
    // and nothing in its class names says "sidebar".
    let notices: String = (0..6)
        .map(|i| {
            format!(
                r#"<li><a href="/tzgg/202209/t20220901_{i}.html">关于开展全县第{i}批次安全生产检查工作的通知</a><span>2022-09-01</span></li>"#
            )
        })
        .collect();
    let html = format!(
        r#"<div class="l"><div class="box2"><ul>{notices}</ul></div></div>
        <div class="r"><div class="box1"><ul>{}</ul><div class="fy"><a href="index_8.html">上一页</a><a href="index_8.html">9</a><span>10</span></div></div></div>"#,
        rows(5)
    );
    assert_column_list(&html, 5);
}

#[test]
fn boxes_under_their_own_headings_are_not_one_list() {
    let boxes: String = ["通知公告", "政策解读"]
        .iter()
        .enumerate()
        .map(|(b, name)| {
            let items: String = (0..5)
                .map(|i| {
                    format!(
                        r#"<li><a href="/tzgg/202209/t20220901_{b}{i}.html">关于开展全县第{i}批次安全生产检查工作的通知</a><span>2022-09-01</span></li>"#
                    )
                })
                .collect();
            format!(r#"<div class="box"><h3>{name}</h3><ul>{items}</ul></div>"#)
        })
        .collect();
    let html = format!(
        r#"<div class="l">{boxes}</div><div class="r"><ul>{}</ul></div>"#,
        rows(8)
    );
    assert_column_list(&html, 8);
}

#[test]
fn a_menu_alone_is_not_a_list() {
    let html = r#"<ul class="menu"><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zjxq/">走进县情</a></li></ul>"#;
    assert!(detect_str(html).is_empty());
    assert!(detect_str("").is_empty());
    assert!(detect_str("<p>没有链接的页面</p>").is_empty());
}

#[test]
fn menus_of_placeholder_links_are_not_a_list() {
    // While a site is rebuilt its menu entries all lead to one page; with
    // title-length names, an article-like href and no class naming a menu, only
    // the shared href tells.
    let entries: String = [
        "政府信息公开目录",
        "政务服务事项清单",
        "互动交流留言板块",
        "走进本州概况介绍",
        "专题专栏集中展示",
    ]
    .iter()
    .map(|t| format!(r#"<li><a href="/a/20220907/1234.html">{t}</a></li>"#))
    .collect();
    let html = format!(r#"<div class="dh"><ul>{entries}</ul></div><p>网站改版中</p>"#);
    assert!(detect_str(&html).is_empty());
}

#[test]
fn two_links_need_dates_or_titled_article_links() {
    // The last page of a column: two dated rows.
    let html = format!(r#"<div class="main"><ul>{}</ul></div>"#, rows(2));
    assert_eq!(detect_str(&html).len(), 2);
    // Undated, but titled links to articles of one shape.
    let html = r#"<div class="main"><ul>
        <li><a href="/zwdt/202209/t20220907_1.html">全县秋粮收购工作会议召开</a></li>
        <li><a href="/zwdt/202209/t20220906_2.html">县长带队检查安全生产工作</a></li>
    </ul></div>"#;
    assert_eq!(detect_str(html).len(), 2);
    // Other sites' home pages under long names: a directory.
    let html = r#"<div class="yq"><ul>
        <li><a href="http://www.xinjiang.gov.cn/">新疆维吾尔自治区人民政府</a></li>
        <li><a href="http://www.gov.cn/">中华人民共和国中央人民政府</a></li>
    </ul></div>"#;
    assert!(detect_str(html).is_empty());
    // A footer not named as one: record numbers and a report link of two shapes.
    let html = r#"<div class="bottom"><p>
        <a href="https://beian.miit.gov.cn/">新ICP备05000001号-1</a>
        <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=65270002000001">新公网安备 65270002000001号</a>
    </p></div>"#;
    assert!(detect_str(html).is_empty());
    // Undated titled article links of different shapes: a chance pair.
    let html = r#"<div class="c"><p><a href="/zwdt/202209/t20220907_1.html">全县秋粮收购工作会议召开</a></p>
        <p><a href="/info/1057/8920.htm">县长带队检查安全生产工作</a></p></div>"#;
    assert!(detect_str(html).is_empty());
}

#[test]
fn two_links_in_one_of_several_headed_boxes_are_not_a_list() {
    let two = r#"<ul><li><a href="/tzgg/202209/t20220901_1.html">关于开展安全生产检查的通知</a></li>
        <li><a href="/tzgg/202209/t20220902_2.html">关于做好秋季防火工作的通知</a></li></ul>"#;
    let other = r#"<ul><li><a href="/ztzl/">学习贯彻党的二十大精神</a></li></ul>"#;
    // Headings and lists side by side in one block.
    let html = format!(r#"<div class="l"><h3>通知公告</h3>{two}<h3>专题专栏</h3>{other}</div>"#);
    assert!(detect_str(&html).is_empty());
    // Each box its own block of one kind.
    let html = format!(
        r#"<div class="l"><div class="box"><h3>通知公告</h3>{two}</div><div class="box"><h3>专题专栏</h3>{other}</div></div>"#
    );
    assert!(detect_str(&html).is_empty());
    // A column's own list under its title is read.
    let html = format!(r#"<div class="l"><div class="box"><h2>通知公告</h2>{two}</div></div>"#);
    assert_eq!(detect_str(&html).len(), 2);
}

#[test]
fn previous_and_next_article_links_are_not_a_list() {
    let html = r#"<div class="article"><h1>全县秋粮收购工作会议召开</h1><p>正文</p>
        <div class="pn"><p>上一篇：<a href="/zwdt/202209/t20220906_2.html">县长带队检查安全生产工作</a></p>
        <p>下一篇：<a href="/zwdt/202209/t20220908_3.html">全县教师节表彰大会举行</a></p></div></div>"#;
    assert!(detect_str(html).is_empty());
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 3000;
    let html = format!(
        "{}<ul>{}</ul>{}",
        "<div>".repeat(depth),
        rows(5),
        "</div>".repeat(depth)
    );
    assert_eq!(detect_str(&html).len(), 5);
}

#[test]
fn large_lists_are_read_whole() {
    let nav: String = (0..500)
        .map(|i| format!(r#"<li><a href="/col{i}/">栏目{i}</a></li>"#))
        .collect();
    let html = format!(
        r#"<ul class="nav">{nav}</ul><div class="main"><ul>{}</ul></div>"#,
        rows(5000)
    );
    let items = detect_str(&html);
    assert_eq!(items.len(), 5000);
    assert_eq!(
        items[4999].url,
        "https://www.example.gov.cn/zwdt/202209/t20220907_4999.html"
    );
}

#[test]
fn article_urls() {
    let article = |s: &str| is_article_url(&Url::parse(s).expect("test URL"));
    for url in [
        "https://a.cn/zwdt/202209/t20220907_123.html",
        "https://a.cn/art/2022/9/7/art_3078_120931.html",
        "https://a.cn/info/1057/8920.htm",
        "https://a.cn/col1/articleinfo-459.html",
        "https://a.cn/news/show.php?id=12345",
        "https://a.cn/upload/notice.pdf",
        "https://blog.example.com/posts/how-we-moved-to-rust/",
    ] {
        assert!(article(url), "{url}");
    }
    for url in [
        "https://www.gov.cn/",
        "https://a.cn/zwgk/zfxxgkzn/",
        "https://a.cn/about-us/",
        "https://a.cn/col/col3078/index.html",
        "https://a.cn/channel/12.html",
        "https://a.cn/category/7/",
    ] {
        assert!(!article(url), "{url}");
    }
}

#[test]
fn url_shapes_ignore_ids() {
    let shape = |s: &str| url_shape(&Url::parse(s).expect("test URL"));
    assert_eq!(
        shape("https://a.cn/zwdt/202209/t20220907_123.html"),
        shape("https://a.cn/zwdt/202208/t20220831_98.html")
    );
    assert_ne!(
        shape("https://a.cn/zwdt/202209/t20220907_123.html"),
        shape("https://a.cn/")
    );
}
