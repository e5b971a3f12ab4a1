//! The metadata line under a Chinese article's title, e.g.
//! `时间:2022-09-07 10:45 作者:谢慧变 来源:天山网-新疆日报 点击量:`: labelled fields,
//! each ending where the next label starts.

use crate::dates::find_date;
use crate::model::PubDate;
use chrono_tz::Tz;
use regex::Regex;
use std::sync::LazyLock;

/// Labels that are distinctive wherever they stand, longest first within each family.
const STRONG: &str = "發布時間|發佈時間|發表時間|發布日期|發佈日期|更新時間|文章來源|信息來源|稿件來源|新聞來源|來源|記者|通訊員|責任編輯|发布时间|发布日期|发表时间|发表日期|发文日期|成文日期|印发日期|公开日期|生成日期|更新时间|更新日期|发稿时间|录入时间|上传时间|添加时间|创建时间|刊发时间|信息来源|文章来源|稿件来源|新闻来源|消息来源|内容来源|来源|稿源|出处|作者|记者|撰稿人|撰稿|撰文|执笔人|执笔|通讯员|发布者|发布人|发布机构|发布单位|本文来源|原文来源|文章出处|责任编辑|网络编辑|编审|审核|审校|校对|终审|责编|点击量|点击数|点击率|点击次数|浏览次数|浏览量|阅读次数|阅读量|阅读数|访问量|访问次数|访问统计|字号|字体|分享到|摄影|索引号|文号|发文机关|主题分类";
/// Short labels that are words elsewhere too: they need a separator before them.
const WEAK: &str = "时间|日期|文字|文|编辑|浏览|点击|阅读|访问|图|编者|供稿|选稿|转载自|转自|来自";

static LABEL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:(?P<strong>{STRONG})|(?:^|[\s|｜/【\[（(:：,，;；·•\u{{a0}}\u{{3000}}])(?P<weak>{WEAK}))\s*[:：]|(?:^|[\s|｜/【\[（(:：,，;；·•\u{{a0}}\u{{3000}}])(?P<bare>发表时间|发布时间|来源|作者)[\s\u{{a0}}\u{{3000}}]|(?:^|[\s|｜/【\[（(:：,，;；·•\u{{a0}}\u{{3000}}])(?P<at>发表于|发布于)|^[\s【\[（(]*(?P<slash>文|图文|撰文)\s*[/／|｜]|(?P<count>阅读|点击|浏览|访问|人气)\s*[:：]?\s*[0-9]+\s*次"
    ))
    .expect("static regex")
});

/// What a label means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Date,
    Author,
    Origin,
    /// Editors, counters, font switches…: recognised so they end the previous field.
    Other,
}

fn field_of(label: &str) -> Field {
    match label {
        "作者" | "记者" | "撰稿人" | "撰稿" | "撰文" | "执笔人" | "执笔" | "通讯员" | "文"
        | "文字" | "供稿" | "記者" | "通訊員" => Field::Author,
        "文章來源" | "信息來源" | "稿件來源" | "新聞來源" | "來源" => {
            Field::Origin
        }
        "本文来源" | "原文来源" | "文章出处" | "信息来源" | "文章来源" | "稿件来源"
        | "新闻来源" | "消息来源" | "内容来源" | "来源" | "稿源" | "出处" | "来自" | "转自"
        | "转载自" => Field::Origin,
        "图文" => Field::Author,
        l if l.contains("时间")
            || l.contains("時間")
            || l.contains("日期")
            || l.ends_with('于') =>
        {
            Field::Date
        }
        _ => Field::Other,
    }
}

/// The fields found on one line of text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct MetaLine {
    pub published: Option<PubDate>,
    /// The date was under a date label (not merely somewhere on the line).
    pub labelled_date: bool,
    pub author: Option<String>,
    pub origin: Option<String>,
    /// How many labels the line has.
    pub labels: usize,
    /// The first label, when the line starts with it (only brackets or spaces before).
    pub leading_label: Option<String>,
    /// The line ends with an origin label and no value (`来源：` with the name on the
    /// next line).
    pub origin_open: bool,
}

/// Split a line into its labelled fields.
pub(crate) fn parse(line: &str, tz: Tz) -> MetaLine {
    let mut found: Vec<(usize, usize, Field)> = Vec::new();
    let mut leading = None;
    for caps in LABEL_RE.captures_iter(line) {
        let Some(label) = caps
            .name("strong")
            .or_else(|| caps.name("weak"))
            .or_else(|| caps.name("bare"))
            .or_else(|| caps.name("at"))
            .or_else(|| caps.name("slash"))
            .or_else(|| caps.name("count"))
        else {
            continue;
        };
        let whole = caps.get(0).map_or(label.end(), |m| m.end());
        if found.is_empty()
            && line[..label.start()]
                .chars()
                .all(|c| c.is_whitespace() || "【[（(|·•".contains(c))
        {
            leading = Some(label.as_str().to_string());
        }
        found.push((label.start(), whole, field_of(label.as_str())));
    }
    let mut out = MetaLine {
        labels: found.len(),
        leading_label: leading,
        ..MetaLine::default()
    };
    for (i, &(_, value_start, field)) in found.iter().enumerate() {
        let value_end = found.get(i + 1).map_or(line.len(), |next| next.0);
        let value = &line[value_start..value_end.max(value_start)];
        match field {
            Field::Date => {
                if out.published.is_none()
                    && let Some(d) = find_date(value, tz)
                        .or_else(|| crate::dates::find_date_words(value).map(PubDate::Day))
                {
                    out.published = Some(d);
                    out.labelled_date = true;
                }
            }
            Field::Author => {
                if out.author.is_none() {
                    out.author = writers(value).filter(|v| looks_like_names(v));
                }
            }
            Field::Origin => {
                if out.origin.is_none() {
                    out.origin = clean_name(value, 60);
                    out.origin_open = out.origin.is_none() && i + 1 == found.len();
                }
            }
            Field::Other => {}
        }
    }
    if out.published.is_none() && out.labels > 0 {
        out.published = find_date(line, tz);
    }
    if out.author.is_none()
        && let Some(&(start, _, field)) = found.first()
    {
        let posted = ["发表于", "发布于"]
            .iter()
            .any(|l| line[start..].starts_with(l));
        out.author = unlabelled_name(&line[..start], field, posted);
    }
    // `发布时间 2005/03/15 22:36:13 by duscha`: the poster after the date.
    if out.author.is_none()
        && out.labels > 0
        && let Some(i) = line.find(" by ")
    {
        let name = line[i + 4..]
            .split(|c: char| c.is_whitespace() || "〓|｜".contains(c))
            .find(|w| !w.is_empty());
        out.author = name.and_then(|n| clean_name(n, 30));
    }
    // Forums: 本贴由<作者>于2005年8月12日16:12:21在〖…〗发表.
    if out.published.is_none()
        && let Some(caps) = POSTED_BY_RE.captures(line)
        && let Some(d) = find_date(&line[caps.name("date").map_or(0, |m| m.start())..], tz)
    {
        out.published = Some(d);
        out.labelled_date = true;
        out.labels += 1;
        if out.author.is_none() {
            out.author = caps.name("who").and_then(|w| clean_name(w.as_str(), 20));
        }
    }
    out
}

/// A name printed without its label before the line's first label: the poster in
/// `ggjjzhzz 发表于 2005-9-15 11:46:00`, the bracketed writer in `[ 黄宇 ] 来源：[ 国际金融报 ]`.
fn unlabelled_name(before: &str, first: Field, posted: bool) -> Option<String> {
    // Private-use characters are spaces some GBK pages print (`]\u{e5c2} 来源`).
    let before = before
        .trim_end_matches(|c: char| c.is_whitespace() || ('\u{e000}'..='\u{f8ff}').contains(&c));
    let name = match first {
        // The bracketed segment just before 来源 (a date may precede it).
        Field::Origin => {
            let open = before.rfind(['[', '【'])?;
            before[open..]
                .trim_start_matches(['[', '【'])
                .strip_suffix([']', '】'])?
                .trim()
        }
        // Only 发表于/发布于 follow the poster's name.
        Field::Date if posted => {
            let token = before.rsplit([' ', '\u{a0}', '\u{3000}', '|']).next()?;
            if token.len() == before.len()
                || ["本文", "文章", "此文", "原文", "本帖"].contains(&token)
            {
                return None;
            }
            token
        }
        _ => return None,
    };
    if name.contains(['[', ']', '【', '】', '《', '》', '(', '（']) || !looks_like_names(name)
    {
        return None;
    }
    clean_name(name, 20)
}

static POSTED_BY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:贴|帖|文|作者)?由\s*(?P<who>[^\s于]{1,16}?)\s*(?:于|张贴\s*@?)\s*(?P<date>(?:19|20)[0-9]{2})",
    )
        .expect("static regex")
});

/// Whether a short line is a metadata line (to drop from the body): two labels or more,
/// one leading label that is not an event's own date (会议时间 is text, 发布时间 is not),
/// or a date followed by labels.
pub(crate) fn is_meta_line(text: &str, tz: Tz) -> bool {
    // Every label form has a colon, 于, 次, or is one of the bare labels.
    // (`文/张三`, `文 | 张三`: a byline opening the body.)
    if !text.contains([':', '：', '于', '次', '/', '／', '|', '｜'])
        && !text.contains("来源")
        && !text.contains("作者")
    {
        return false;
    }
    let c = crate::text::compact(text);
    let n = c.chars().count();
    if n == 0 || n > 150 {
        return false;
    }
    let m = parse(text, tz);
    if m.labels >= 2 {
        return true;
    }
    if let Some(label) = &m.leading_label
        && n <= 60
    {
        let field = field_of(label);
        let publishing = [
            "发布", "发表", "發布", "發佈", "發表", "发文", "更新", "录入", "上传", "添加", "刊发",
            "发稿", "创建",
        ]
        .iter()
        .any(|p| label.contains(p));
        // `记者：你通过什么渠道获取信息？` is an interview's question, not a byline.
        let question = field == Field::Author && text.contains(SENTENCE_ENDS);
        if (field != Field::Date || publishing) && !question {
            return true;
        }
    }
    // A date followed by a label (`2004-12-10 阅读10544次`, `2022-09-07 来源：新华社`).
    if m.leading_label.is_none() && m.labels >= 1 && m.published.is_some() && n <= 60 {
        return true;
    }
    false
}

/// Whether a short line is nothing but a date and time (`2022-09-05 09:12:33`): under a
/// title it is the publication date; at the end of a notice it is the signature date.
pub(crate) fn is_bare_date(text: &str, tz: Tz) -> bool {
    if !text.contains(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let c = crate::text::compact(text);
    if c.chars().count() > 32 || find_date(text, tz).is_none() {
        return false;
    }
    let rest = c
        .chars()
        .filter(|ch| !ch.is_ascii_digit() && !"-/.:：年月日时分秒T+".contains(*ch))
        .count();
    rest <= 2
}

/// Words after 记者/通讯员 that end a byline: where the reporter files from, the work
/// done, the next field.
const BYLINE_ENDS: &[&str] = &[
    "发自",
    "报道",
    "/文",
    "／文",
    "摄影",
    "摄",
    "文/",
    "来源",
    "编辑",
    "记者",
    "通讯员",
    "实习生",
    "記者",
    "通訊員",
    "實習生",
    "攝影",
];

static FILED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[（(]\s*(?P<names>\p{Han}{2,4}(?:[\s、]+\p{Han}{2,4}){0,3})[\s\u{3000}]+\p{Han}{2,6}报道\s*[）)]")
        .expect("static regex")
});

/// Whether `t` starts with where a reporter filed from (`山东冠县报道`).
fn filed_from(t: &str) -> bool {
    let run: String = t.chars().take_while(|&c| crate::text::is_cjk(c)).collect();
    let n = run.chars().count();
    (3..=8).contains(&n) && run.ends_with("报道")
}

/// The names of an unlabelled reporter byline: `光明日报记者 王建宏 张文攀`,
/// `（记者 胡晓蓉）`, `本报记者罗科苏盈发自北京`, `河南商报记者马俊峰/文`. The names must
/// be whole: short runs of Han characters that end the line or stand before a closing
/// bracket or a byline word, so prose (`告诉记者，他…`, `记者近日从…了解到`) is no byline.
pub(crate) fn reporter(line: &str) -> Option<String> {
    // `（姚峰 上海报道）`: names and where they filed from, in brackets.
    if let Some(c) = FILED_RE.captures(line)
        && let Some(names) = c.name("names")
    {
        return Some(crate::text::fold_whitespace(names.as_str()));
    }
    // Every role word on the line, in reading order.
    let mut roles: Vec<(usize, usize)> = REPORTER_ROLES
        .iter()
        .flat_map(|label| line.match_indices(label).map(|(i, l)| (i, i + l.len())))
        .collect();
    roles.sort_unstable();
    // `记者 王丽 通讯员 李明`: the names after each role word of one byline.
    let mut names: Vec<String> = Vec::new();
    let mut last = None;
    for (start, end) in roles {
        if let Some(prev) = last
            && start > prev + 48
        {
            break;
        }
        match byline_names(&line[end..]) {
            Some(n) => {
                if !names.contains(&n) {
                    names.push(n);
                }
                last = Some(end);
            }
            None if last.is_some() => break,
            None => {}
        }
    }
    (!names.is_empty()).then(|| names.join(" "))
}

/// Role words an unlabelled byline names reporters after.
const REPORTER_ROLES: &[&str] = &["记者", "通讯员", "实习生", "記者", "通訊員", "實習生"];

fn byline_names(rest: &str) -> Option<String> {
    let is_gap = |c: char| c.is_whitespace() || c == '\u{3000}';
    let spaced = rest.starts_with(is_gap);
    let mut names: Vec<&str> = Vec::new();
    let mut rest = rest.trim_start_matches(is_gap);
    loop {
        let run_end = rest
            .char_indices()
            .find(|&(_, c)| !crate::text::is_cjk(c) || c == '、')
            .map_or(rest.len(), |(i, _)| i);
        let run = &rest[..run_end];
        let n = run.chars().count();
        let (name, after) = if (2..=4).contains(&n) {
            (run, &rest[run_end..])
        } else if n > 4 && names.is_empty() && !spaced {
            // Glued to what follows: `罗科苏盈发自北京`.
            let cut = (2..=4).rev().find_map(|k| {
                let at = run.char_indices().nth(k).map(|(i, _)| i)?;
                BYLINE_ENDS
                    .iter()
                    .any(|e| run[at..].starts_with(e))
                    .then_some(at)
            })?;
            (&run[..cut], &run[cut..])
        } else {
            break;
        };
        if ["来源", "编辑", "摄影"].iter().any(|e| name.ends_with(e)) {
            // The next field (`素材来源`) ends the names read so far.
            return (!names.is_empty()).then(|| names.join(" "));
        }
        if name
            .chars()
            .skip(1)
            .any(|c| "了的从说是就都也被到过着".contains(c))
        {
            break;
        }
        names.push(name);
        let closes = |t: &str| {
            t.starts_with(['）', ')', '】', ']', '」', '|', '｜'])
                || BYLINE_ENDS.iter().any(|e| t.starts_with(e))
                || filed_from(t)
        };
        // A name glued to the label needs an explicit end (`记者马俊峰/文`): menu
        // entries like `记者调查` end their line too.
        if !spaced {
            if closes(after) {
                return Some(names.join(" "));
            }
            // `本报记者王燕平 方云凤 柏建斌`: more names, set off by gaps, to the end.
            let more: Vec<&str> = after
                .split(|c: char| is_gap(c) || c == '、')
                .filter(|p| !p.is_empty())
                .collect();
            let all_names = !more.is_empty()
                && after.starts_with(|c: char| is_gap(c) || c == '、')
                && more.len() <= 5
                && is_name(name)
                && more.iter().all(|p| is_name(p));
            return all_names.then(|| {
                names.extend(more);
                names.join(" ")
            });
        }
        let next = after.trim_start_matches(|c: char| is_gap(c) || c == '、');
        if next.is_empty() || closes(next) {
            return Some(names.join(" "));
        }
        // Another name must be set off by a gap or 、.
        if next.len() == after.len() || names.len() >= 6 {
            return None;
        }
        rest = next;
    }
    None
}

/// Role words printed before a writer's name (`本报记者 王丽`), simplified and
/// traditional: never part of the name.
const ROLES: &[&str] = &[
    "本报特约记者",
    "本报记者",
    "本报通讯员",
    "特约记者",
    "见习记者",
    "实习记者",
    "首席记者",
    "摄影记者",
    "记者",
    "特约通讯员",
    "通讯员",
    "实习生",
    "摄影",
    "编辑",
    "本報特約記者",
    "本報記者",
    "本報通訊員",
    "特約記者",
    "見習記者",
    "實習記者",
    "首席記者",
    "攝影記者",
    "記者",
    "特約通訊員",
    "通訊員",
    "實習生",
    "攝影",
    "編輯",
];

/// Whether a role word (`记者`, `通讯员`…) stands in `text`.
pub(crate) fn has_role(text: &str) -> bool {
    ROLES.iter().any(|r| text.contains(r))
}

/// Roles whose names are the photographer's: a writer named beside them is the author.
fn is_photo_role(role: &str) -> bool {
    role.contains("摄") || role.contains("攝")
}

/// The writers named in an author field's value, without the role words printed before
/// each name: `记者 王丽` → `王丽`, `记者 王丽 通讯员 李明` → `王丽 李明`. A photographer
/// counts only when no writer is named; an editor named after the writers is not one
/// (编辑 labels the writer only when it comes first).
pub(crate) fn writers(value: &str) -> Option<String> {
    let mut segments: Vec<(Option<&str>, String)> = vec![(None, String::new())];
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if let Some(role) = ROLES.iter().find(|r| rest.starts_with(**r)) {
            segments.push((Some(role), String::new()));
            rest = &rest[role.len()..];
            continue;
        }
        if let Some((_, text)) = segments.last_mut() {
            text.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    if segments.len() == 1 {
        return clean_name(value, 40);
    }
    let mut names: Vec<(bool, String)> = Vec::new();
    for (i, (role, text)) in segments.iter().enumerate() {
        let editor = role.is_some_and(|r| r.contains("编辑") || r.contains("編輯"));
        if editor && i > 1 {
            break;
        }
        // Text before the first role is the label's own (`（`) or a newspaper's name
        // (`光明日报记者`): not a name.
        if role.is_none() {
            continue;
        }
        let Some(text) = clean_name(text, 40) else {
            continue;
        };
        let photo = role.is_some_and(is_photo_role);
        if text.chars().any(crate::text::is_cjk) && !text.chars().any(|c| c.is_ascii_alphabetic()) {
            for part in text.split(|c: char| c.is_whitespace() || "、，,".contains(c)) {
                if !part.is_empty() {
                    names.push((photo, part.to_string()));
                }
            }
        } else {
            names.push((photo, text));
        }
    }
    let writers: Vec<&str> = names
        .iter()
        .filter(|(photo, _)| !photo)
        .map(|(_, n)| n.as_str())
        .collect();
    let chosen: Vec<&str> = if writers.is_empty() {
        names.iter().map(|(_, n)| n.as_str()).collect()
    } else {
        writers
    };
    if chosen.is_empty() {
        // `王丽（实习生）`: the name stood before its role.
        return segments
            .first()
            .and_then(|(_, t)| clean_name(t.trim_end_matches(['（', '(']), 40));
    }
    Some(chosen.join(" "))
}

/// Common Chinese family names: a line of bare names is believed only when each name
/// starts with one (a heading like 工作要求 is no name).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝风";
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐",
];

/// The names of a line that is nothing but names (`胡平`, `赵延东、风笑天`, `（常书香
/// 马丹阳）`): one to four names of two to four Han characters, each with a family name.
pub(crate) fn bare_names(line: &str) -> Option<String> {
    let t = line.trim_matches(|c: char| c.is_whitespace() || "（）()【】[]".contains(c));
    if t.is_empty() || t.chars().count() > 24 {
        return None;
    }
    let parts: Vec<&str> = t
        .split(|c: char| c.is_whitespace() || "、，,;；".contains(c))
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty() && parts.len() <= 4 && parts.iter().all(|p| is_name(p)))
        .then(|| parts.join(" "))
}

/// Two to four Han characters starting with a family name, none of prose.
fn is_name(p: &str) -> bool {
    let n = p.chars().count();
    (2..=4).contains(&n)
        && p.chars().all(crate::text::is_cjk)
        && (COMPOUND_SURNAMES.iter().any(|s| p.starts_with(s))
            || p.chars().next().is_some_and(|c| SURNAMES.contains(c)))
        && !p
            .chars()
            .skip(1)
            .any(|c| "了的是在和与及等报讯社网图文稿完续".contains(c))
}

/// The issuing body signing a notice (`吉林省人民政府`, `某某县教育局办公室`): a short
/// line ending with what organisations are called.
pub(crate) fn issuer(line: &str) -> Option<String> {
    let t = crate::text::compact(line);
    let n = t.chars().count();
    let org = [
        "政府",
        "委员会",
        "办公室",
        "办公厅",
        "局",
        "厅",
        "部",
        "中心",
        "协会",
        "学会",
        "公司",
        "学校",
        "大学",
        "学院",
        "医院",
        "研究院",
        "研究所",
        "党委",
        "党组",
        "支部",
        "联合会",
        "委",
        "处",
        "所",
        "站",
        "院",
    ];
    ((4..=30).contains(&n)
        && t.chars().all(crate::text::is_cjk)
        && org.iter().any(|o| t.ends_with(o)))
    .then_some(t)
}

/// A signature closing the body: `…的决心。（常书香 马丹阳）`, `（袁源）`, `张三 摄`.
pub(crate) fn closing_names(line: &str) -> Option<String> {
    let t = line.trim_end();
    if let Some(rest) = t.strip_suffix(['）', ')']) {
        let open = rest.rfind(['（', '('])?;
        return bare_names(&rest[open..]);
    }
    let t = t.strip_suffix('摄')?;
    let start = t
        .char_indices()
        .rev()
        .take_while(|&(_, c)| crate::text::is_cjk(c) || c == ' ' || c == '、')
        .last()
        .map_or(t.len(), |(i, _)| i);
    bare_names(&t[start..])
}

/// Punctuation of prose, never of a list of names.
const SENTENCE_ENDS: &[char] = &['。', '？', '?', '！', '!', '“', '”'];

/// Whether an author value reads as names (`张三 李四`, `Jane Doe, John Roe`,
/// `吉林省人民政府`) rather than a sentence after a 记者： of an interview.
pub(crate) fn looks_like_names(value: &str) -> bool {
    !value.contains(SENTENCE_ENDS)
        && value
            .split(|c: char| c.is_whitespace() || ",，、;；/&|".contains(c))
            .all(|part| part.chars().filter(|&c| crate::text::is_cjk(c)).count() <= 10)
}

/// One capitalised name of up to five words (particles such as `van`, `de` inside).
const NAME: &str = r"\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|de|van|von|der|da|di|del)){0,4}";

static WRITTEN_BY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:(?:[Pp]osted by|[Ww]ritten by|[Pp]ublished by|[Bb]y|BY|[Vv]on|VON|[Pp]ar|[Pp]or|(?:[Ee]in |[Bb]log[ -]?)?(?:[Aa]rtikel|[Bb]eitrag) von|(?:[Ee]ine? )?(?:[Kk]olumne|[Gg]astbeitrag|[Gg]astkommentar|[Ee]ssay|[Rr]eportage) von|[Ee]in [Kk]ommentar von|[Tt]ext von|[Vv]erfasst von|[Gg]eschrieben von|[Aa]utor(?:in|en|innen)?|AUTOR(?:IN|EN)?|[Aa]uthors?|AUTHORS?|[Aa]uteurs?)\s*:?\s+|(?:[Tt]ext|[Tt]exte|[Ww]ords|[Ii]nterview|[Rr]edaktion)\s*:\s*)(?P<name>{NAME}(?:\s*(?:,|&|\bund\b|\band\b)\s*{NAME}){{0,3}})\s*(?:$|[@|,•·–—(/]|\s-\s|\b(?:on|am|le|el)\s|(?:Illustrationen|Illustration|Fotos|Foto|Photos|Photo|Bilder|Bild)\b|[0-9])",
    ))
    .expect("static regex")
});

/// Labels a byline prints on a line of its own, the name on the next (`Autor:` ⏎
/// `Peter Maahn`).
pub(crate) fn is_byline_label(line: &str) -> bool {
    matches!(
        line.trim().to_lowercase().as_str(),
        "autor:"
            | "autorin:"
            | "autoren:"
            | "author:"
            | "authors:"
            | "von:"
            | "by:"
            | "text:"
            // A heading over the name (`<h4>Autor</h4><p>Nikolai Huke</p>`).
            | "autor"
            | "autorin"
            | "autoren"
            | "author"
            | "authors"
    )
}

/// Whether `text` holds a date (numeric or with a month's name).
pub(crate) fn has_date(text: &str) -> bool {
    find_date(text, chrono_tz::UTC).is_some() || crate::dates::find_date_words(text).is_some()
}

/// The writer of a line that is a date and a name side by side: `11.12.2019 - Amelie
/// Loevenich`, `04.02.2022 | 13:10 Uhr | Uta Helkenberg`. The other parts must be the
/// date and time; the name two to four capitalised words.
pub(crate) fn dated_name(line: &str) -> Option<String> {
    let line = line.trim();
    if line.chars().count() > 70 {
        return None;
    }
    let parts: Vec<&str> = line
        .split(['|', '•', '·', '–', '—'])
        .flat_map(|p| p.split(" - "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if !(2..=4).contains(&parts.len()) {
        return None;
    }
    let is_name = |p: &str| {
        let words: Vec<&str> = p.split_whitespace().collect();
        (2..=4).contains(&words.len())
            && words.iter().all(|w| {
                let mut cs = w.chars();
                cs.next().is_some_and(char::is_uppercase)
                    && cs.all(|c| c.is_alphabetic() || ".'’-".contains(c))
            })
            && crate::dates::find_date_words(&format!("{p} 1, 2000")).is_none()
            && crate::dates::find_date_words(&format!("1 {p} 2000")).is_none()
    };
    let is_when = |p: &str| {
        p.chars().any(|c| c.is_ascii_digit())
            && p.chars().count() <= 25
            && (has_date(p) || TIME_RE.is_match(p))
    };
    let names: Vec<&str> = parts.iter().copied().filter(|p| is_name(p)).collect();
    let dated = parts.iter().any(|p| has_date(p));
    (names.len() == 1 && dated && parts.iter().all(|p| is_name(p) || is_when(p)))
        .then(|| names[0].to_string())
}

static TIME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\d{1,2}[:.]\d{2}(?:\s*(?:Uhr|h|am|pm|AM|PM))?$").expect("static regex")
});

/// The name of a western byline line: `By Tim Anderson`, `Posted by Konstantin @ 12:00
/// am`, `Von Jane Doe | 3. März 2020`. Only capitalised words make the name, and it
/// must end the line or stand before a separator or a date.
pub(crate) fn written_by(line: &str) -> Option<String> {
    if line.chars().count() > 90 {
        return None;
    }
    let line = line.trim();
    let caps = WRITTEN_BY_RE.captures(line).or_else(|| {
        // After a separator (`yas! | By Cara Stiles | April 13, 2020`), or after the
        // date it was posted on (`Posted on September 21, 2020 by Adi Tzlil`,
        // `06.11.2023 13:30 von Olga`).
        line.char_indices()
            .filter(|&(i, c)| {
                "|•·".contains(c)
                    // `05.02.2020 - Redaktion: Jane Doe`.
                    || "-–—".contains(c) && line[..i].ends_with(' ')
                    || c == ' '
                        && has_date(&line[..i])
                        && [" by ", " von ", " By ", " par ", " por "]
                            .iter()
                            .any(|k| line[i..].starts_with(k))
            })
            .find_map(|(i, c)| WRITTEN_BY_RE.captures(line[i + c.len_utf8()..].trim_start()))
    })?;
    let name = caps.name("name")?.as_str();
    // A date may follow with its month name capitalised (`By GILLIAN MOHNEY March 6`).
    let mut words: Vec<&str> = name.split_whitespace().collect();
    while words.len() > 1
        && words.last().is_some_and(|w| {
            crate::dates::find_date_words(&format!("{w} 1, 2000")).is_some()
                || crate::dates::find_date_words(&format!("1 {w} 2000")).is_some()
        })
    {
        words.pop();
    }
    let name = words.join(" ");
    let name = name.trim_end_matches(['.', '-', '’', '\'']);
    (name.chars().count() >= 3).then(|| name.to_string())
}

/// A field value as a name: trimmed of separators and brackets, cut at a wide gap, and
/// `None` when it is empty, too long, or a placeholder for "unknown".
pub(crate) fn clean_name(value: &str, max_chars: usize) -> Option<String> {
    let trim_chars: &[char] = &[
        ' ', '\u{a0}', '\u{3000}', '\t', '\n', '\r', '|', '｜', '/', '【', '】', '[', ']', ':',
        '：', ',', '，', ';', '；', '·', '•', '-', '—', '_', '<', '>', '《', '》', '"', '“', '”',
        '.', '。',
    ];
    let mut v = value.trim_matches(trim_chars);
    // Two spaces, a tab or a bracket end the value (what follows is another field).
    for stop in [
        "  ",
        "\u{a0}\u{a0}",
        "\u{3000}",
        "\t",
        "\n",
        "】",
        "]",
        "|",
        "｜",
        "）",
        // An affiliation or a book after the name (`赵 培 ：北京物资学院`, `赵婕 出自[…]`).
        "：",
        "[",
        " 出自",
    ] {
        if let Some(i) = v.find(stop) {
            v = &v[..i];
        }
    }
    let mut v = v.trim_matches(trim_chars);
    // Link texts printed after the value on the same line.
    for tail in [
        "举报",
        "纠错",
        "我要纠错",
        "分享",
        "收藏",
        "评论",
        "打印",
        "关注",
    ] {
        if let Some(rest) = v.strip_suffix(tail) {
            v = rest.trim_matches(trim_chars);
        }
    }
    let v = crate::text::fold_whitespace(v);
    if v.is_empty() || v.chars().count() > max_chars {
        return None;
    }
    // Markup printed as text (`size="20"` of a broken tag) is not a name.
    if v.contains(['=', '"', '<', '>', '{', '}']) {
        return None;
    }
    // A date or a bare number is not a name.
    if v.chars().filter(|c| c.is_ascii_digit()).count() >= 4 {
        return None;
    }
    let lower = v.to_lowercase();
    if matches!(
        lower.as_str(),
        "佚名"
            | "未知"
            | "不详"
            | "admin"
            | "administrator"
            | "null"
            | "none"
            | "无"
            | "暂无"
            | "本站"
            | "本网"
            | "网络"
            | "匿名"
            | "unknown"
            | "网络整理"
            | "综合"
            | "本站编辑"
    ) {
        return None;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn splits_the_portal_line() {
        let m = parse(
            "时间:2022-09-07 10:45 作者:谢慧变 来源:天山网-新疆日报 点击量:",
            SH,
        );
        assert_eq!(
            m.published.unwrap().to_string(),
            "2022-09-07T10:45:00+08:00"
        );
        assert!(m.labelled_date);
        assert_eq!(m.author.as_deref(), Some("谢慧变"));
        assert_eq!(m.origin.as_deref(), Some("天山网-新疆日报"));
        assert_eq!(m.labels, 4);
    }

    #[test]
    fn fields_without_spaces_and_with_full_width_colons() {
        let m = parse(
            "发布时间：2022年09月06日 16:20来源：博州零距离记者：张三",
            SH,
        );
        assert_eq!(
            m.published.unwrap().to_string(),
            "2022-09-06T16:20:00+08:00"
        );
        assert_eq!(m.origin.as_deref(), Some("博州零距离"));
        assert_eq!(m.author.as_deref(), Some("张三"));
    }

    #[test]
    fn editors_are_not_authors() {
        let m = parse("来源：新华社  责任编辑：李四  审核：王五", SH);
        assert_eq!(m.author, None);
        assert_eq!(m.origin.as_deref(), Some("新华社"));
        assert_eq!(m.labels, 3);
        assert!(is_meta_line("本文来源：网易财经", SH));
    }

    #[test]
    fn hit_counters_make_a_metadata_line() {
        let m = parse("2004-12-10      阅读10544次", SH);
        assert_eq!(m.labels, 1);
        assert_eq!(m.published.unwrap().to_string(), "2004-12-10");
        assert!(is_meta_line("2004-12-10      阅读10544次", SH));
    }

    #[test]
    fn bracketed_fields_and_bare_labels() {
        assert_eq!(parse("文/张三", SH).author.as_deref(), Some("张三"));
        assert_eq!(
            parse("文 | 李四 王五", SH).author.as_deref(),
            Some("李四 王五")
        );
        assert_eq!(parse("文字：赵六", SH).author.as_deref(), Some("赵六"));
        assert_eq!(parse("撰稿：钱七", SH).author.as_deref(), Some("钱七"));
        for label in ["来自", "稿件来源", "信息来源", "文章来源", "出处", "转自"]
        {
            let m = parse(&format!("发布时间：2022-09-07 {label}：博州日报"), SH);
            assert_eq!(m.origin.as_deref(), Some("博州日报"), "{label}");
        }
        assert!(parse("发布时间：2022-09-07 来源：", SH).origin_open);
        assert_eq!(parse("来自全国各地的代表参加了会议", SH).labels, 0);
        let m = parse(
            "【来源：市政府办公室】【字体：大 中 小】 发表于 2005-5-7 21:23:57",
            SH,
        );
        assert_eq!(m.origin.as_deref(), Some("市政府办公室"));
        assert_eq!(
            m.published.unwrap().to_string(),
            "2005-05-07T21:23:57+08:00"
        );
        // 发表于 glued to the date, after link texts.
        let m = parse(
            "[点击此处收藏本文]\u{a0}\u{a0}发表于2005年09月07日 11:57 AM",
            SH,
        );
        assert!(m.labelled_date);
        assert_eq!(
            m.published.unwrap().to_string(),
            "2005-09-07T11:57:00+08:00"
        );
    }

    #[test]
    fn weak_labels_need_a_separator() {
        // 原文 and 全文 are not the author label 文.
        let m = parse("点击查看原文：链接", SH);
        assert_eq!(m.author, None);
        let m = parse("文：王小明 图：李", SH);
        assert_eq!(m.author.as_deref(), Some("王小明"));
        // 工作者 is a word, not the label 作者.
        let m = parse("全国优秀地理科技工作者 全国青年地理科技奖", SH);
        assert_eq!(m.labels, 0);
    }

    #[test]
    fn meta_lines_are_recognised() {
        assert!(is_meta_line(
            "时间:2022-09-07 10:45 作者:谢慧变 来源:天山网-新疆日报 点击量:",
            SH
        ));
        assert!(is_meta_line("发布时间：2022-09-05", SH));
        assert!(is_meta_line("来源：新华社", SH));
        assert!(is_bare_date("2022-09-05 09:12:33", SH));
        assert!(!is_bare_date("2022年9月8日召开会议", SH));
        assert!(!is_meta_line(
            "时间：9月10日上午9时，地点：州政府三楼会议室",
            SH
        ));
        assert!(!is_meta_line("会议时间：2022年9月10日", SH));
        assert!(!is_meta_line("9月7日，自治州科协召开座谈会。", SH));
    }

    #[test]
    fn names_before_the_labels() {
        let m = parse(
            "[湖湘文化] 陈天华《警世钟》 ggjjzhzz  发表于 2005-9-15 11:46:00",
            SH,
        );
        assert_eq!(m.author.as_deref(), Some("ggjjzhzz"));
        let m = parse(
            "BUSINESS.SOHU.COM\u{3000}2004年7月16日08:19 [ 黄宇 ]\u{e5c2} 来源：[ 国际金融报 ]",
            SH,
        );
        assert_eq!(m.author.as_deref(), Some("黄宇"));
        assert_eq!(m.origin.as_deref(), Some("国际金融报"));
        let m = parse("由海姑娘张贴 @ 2005-06-14 03:25:55 (370)", SH);
        assert_eq!(m.author.as_deref(), Some("海姑娘"));
        assert_eq!(parse("本文 发表于 2005-9-15", SH).author, None);
        assert_eq!(parse("新闻 来源：新华社", SH).author, None);
        assert_eq!(parse("首页 > 新闻 发布时间：2022-01-01", SH).author, None);
    }

    #[test]
    fn forum_posts() {
        let m = parse("本贴由大卫于2005年8月12日16:12:21在〖心理〗发表.", SH);
        assert_eq!(
            m.published.unwrap().to_string(),
            "2005-08-12T16:12:21+08:00"
        );
        assert_eq!(m.author.as_deref(), Some("大卫"));
        let m = parse("发布日期： 7/5/2005 9:23:57 PM", SH);
        assert_eq!(m.published.unwrap().to_string(), "2005-07-05");
    }

    #[test]
    fn role_words_are_not_names() {
        let author = |l: &str| parse(l, SH).author;
        assert_eq!(author("作者：记者 王丽").as_deref(), Some("王丽"));
        assert_eq!(author("作者：本报记者 王丽").as_deref(), Some("王丽"));
        assert_eq!(author("作者：特约记者王丽").as_deref(), Some("王丽"));
        assert_eq!(author("作者：本報記者 陳大文").as_deref(), Some("陳大文"));
        assert_eq!(
            author("作者：记者 王丽 通讯员 李明 实习生 赵刚").as_deref(),
            Some("王丽 李明 赵刚")
        );
        assert_eq!(author("作者：记者 王丽 摄影 李明").as_deref(), Some("王丽"));
        assert_eq!(author("作者：摄影 李明").as_deref(), Some("李明"));
        assert_eq!(author("作者：编辑 王丽").as_deref(), Some("王丽"));
        assert_eq!(author("作者：记者 王丽 编辑 李明").as_deref(), Some("王丽"));
        assert_eq!(author("作者：王丽（实习生）").as_deref(), Some("王丽"));
        assert_eq!(author("作者：王丽").as_deref(), Some("王丽"));
        assert_eq!(
            reporter("记者 王丽 通讯员 李明 报道").as_deref(),
            Some("王丽 李明")
        );
        assert_eq!(reporter("（記者 陳大文）").as_deref(), Some("陳大文"));
    }

    #[test]
    fn reporter_bylines() {
        assert_eq!(
            reporter("光明日报记者 王建宏 张文攀").as_deref(),
            Some("王建宏 张文攀")
        );
        assert_eq!(
            reporter("……推动云南工业高质量发展。（记者 胡晓蓉）").as_deref(),
            Some("胡晓蓉")
        );
        assert_eq!(
            reporter("本报记者罗科苏盈发自北京").as_deref(),
            Some("罗科苏盈")
        );
        assert_eq!(
            reporter("顶端新闻·河南商报记者马俊峰/文受访者供图").as_deref(),
            Some("马俊峰")
        );
        assert_eq!(
            reporter("新华网黑龙江频道  记者  伊琳  李清芬").as_deref(),
            Some("伊琳 李清芬")
        );
        assert_eq!(
            reporter("整合 新华日报·交汇点记者 徐睿翔 素材来源 江苏13个设区市党报").as_deref(),
            Some("徐睿翔")
        );
        assert_eq!(
            reporter("新京报记者 彭冲 山东冠县报道").as_deref(),
            Some("彭冲")
        );
        assert_eq!(
            reporter("……利益再分配的过程吗？”（姚峰 上海报道）").as_deref(),
            Some("姚峰")
        );
        assert_eq!(
            parse("执笔人：闵乐夫 赵兰波 刘韬", SH).author.as_deref(),
            Some("闵乐夫 赵兰波 刘韬")
        );
        assert_eq!(
            reporter("本报记者王燕平 方云凤 柏建斌").as_deref(),
            Some("王燕平 方云凤 柏建斌")
        );
        assert_eq!(
            reporter("本报实习生刘国栋 周炜").as_deref(),
            Some("刘国栋 周炜")
        );
        assert_eq!(bare_names("胡平").as_deref(), Some("胡平"));
        assert_eq!(
            bare_names("赵延东、风笑天").as_deref(),
            Some("赵延东 风笑天")
        );
        assert_eq!(bare_names("工作要求"), None);
        assert_eq!(bare_names("（完）"), None);
        assert_eq!(
            closing_names("……踏实做事”的决心。（常书香 马丹阳 ）").as_deref(),
            Some("常书香 马丹阳")
        );
        assert_eq!(closing_names("（袁源）").as_deref(), Some("袁源"));
        assert_eq!(closing_names("李明 摄").as_deref(), Some("李明"));
        assert_eq!(closing_names("（待续）"), None);
        assert_eq!(
            parse(
                "〓 网易娱乐 明星话题 发布时间 2005/03/15 22:36:13 by duscha 〓",
                SH
            )
            .author
            .as_deref(),
            Some("duscha")
        );
        // Prose about reporters is no byline.
        assert_eq!(reporter("孙启勤告诉记者，他仍然在坚持购买彩票。"), None);
        assert_eq!(reporter("记者近日从全区农牧业工作会议上了解到，"), None);
        assert_eq!(reporter("记者看到了另外一番景致。"), None);
        assert_eq!(reporter("他向记者介绍。"), None);
        assert_eq!(reporter("记者 近日从会上了解到"), None);
        // Menu entries.
        assert_eq!(reporter("记者调查"), None);
        assert_eq!(reporter("在线荐稿 记者博客 联系记者"), None);
    }

    #[test]
    fn interview_questions_are_not_bylines() {
        let q = "记者：你通过什么渠道最快的获取这些信息？";
        assert_eq!(parse(q, SH).author, None);
        assert!(!is_meta_line(q, SH));
        let q = "告诉记者：被称之为最缺乏手术根治信心的肺癌，我的手术病人很大一部分术后可以不做放、化疗了";
        assert_eq!(parse(q, SH).author, None);
        assert_eq!(
            parse("记者：张三 李四", SH).author.as_deref(),
            Some("张三 李四")
        );
    }

    #[test]
    fn western_byline_lines() {
        assert_eq!(
            written_by("By Tim Anderson").as_deref(),
            Some("Tim Anderson")
        );
        assert_eq!(
            written_by("Posted by Konstantin @ 12:00 am").as_deref(),
            Some("Konstantin")
        );
        assert_eq!(
            written_by("Von Jane van Doe | 3. März 2020").as_deref(),
            Some("Jane van Doe")
        );
        assert_eq!(
            written_by("By GILLIAN MOHNEY March 6, 2014").as_deref(),
            Some("GILLIAN MOHNEY")
        );
        assert_eq!(
            written_by("Par Matthieu Hy le 23 mars 2020").as_deref(),
            Some("Matthieu Hy")
        );
        assert_eq!(
            written_by("von Klaus Stanjek").as_deref(),
            Some("Klaus Stanjek")
        );
        assert_eq!(
            written_by("par Didier Roy, 21 juin 2018").as_deref(),
            Some("Didier Roy")
        );
        assert_eq!(written_by("von Berlin nach Hamburg"), None);
        // A reader's comment is signed `Kommentar von X`; an op-ed is `Ein Kommentar von X`.
        assert_eq!(
            written_by("Kommentar von Margit Heumann — 2019-01-01 @ 00:39"),
            None
        );
        assert_eq!(
            written_by("Ein Kommentar von Jane Doe").as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(written_by("By the way, this is prose."), None);
        assert_eq!(written_by("By Train to Paris"), None);
        assert_eq!(written_by("Bylines"), None);
    }

    #[test]
    fn western_bylines_with_dates_labels_and_lists() {
        let w = |t: &str| written_by(t);
        assert_eq!(
            w("Posted on September 21, 2020 by Adi Tzlil").as_deref(),
            Some("Adi Tzlil")
        );
        assert_eq!(w("06.11.2023 13:30 von Olga").as_deref(), Some("Olga"));
        assert_eq!(
            w("yas! | By Cara Stiles | April 13, 2020").as_deref(),
            Some("Cara Stiles")
        );
        assert_eq!(
            w("Ein Artikel von Pamela Sladky | 27.01.2022 - 12:45").as_deref(),
            Some("Pamela Sladky")
        );
        assert_eq!(
            w("Autoren Jelko Djuren und Jutta Klaukien").as_deref(),
            Some("Jelko Djuren und Jutta Klaukien")
        );
        assert_eq!(
            w("Text von Christian Seiler").as_deref(),
            Some("Christian Seiler")
        );
        assert_eq!(
            w("Author: Jacopo Cascioli").as_deref(),
            Some("Jacopo Cascioli")
        );
        assert_eq!(w("Autor: Peter Maahn/SP-X").as_deref(), Some("Peter Maahn"));
        // A date before prose with `by` in it is no byline.
        assert_eq!(w("On May 3, 2021 by the river we met"), None);
        assert_eq!(w("Text: siehe unten"), None);
        assert!(is_byline_label(" Autor: "));
        assert!(!is_byline_label("Autor: Peter"));

        assert_eq!(
            dated_name("11.12.2019 - Amelie Loevenich").as_deref(),
            Some("Amelie Loevenich")
        );
        assert_eq!(
            dated_name("04.02.2022 | 13:10 Uhr | Uta Helkenberg").as_deref(),
            Some("Uta Helkenberg")
        );
        assert_eq!(dated_name("11.12.2019 - Berlin"), None);
        assert_eq!(dated_name("Amelie Loevenich"), None);
        assert_eq!(
            dated_name("11.12.2019 - Neue Regeln für alle Radfahrer"),
            None
        );
        assert_eq!(dated_name("March 2020 - April 2020"), None);
    }

    #[test]
    fn placeholders_are_none() {
        assert_eq!(parse("作者：佚名 来源：本站", SH).author, None);
        assert_eq!(clean_name("  ", 10), None);
        assert_eq!(clean_name("size=\"20", 10), None);
        assert_eq!(
            clean_name("赵 培 ：北京物资学院，北京", 40).as_deref(),
            Some("赵 培")
        );
        assert_eq!(clean_name("2022-09-07", 20), None);
        assert_eq!(
            clean_name("证券市场红周刊 举报", 20).as_deref(),
            Some("证券市场红周刊")
        );
    }
}
