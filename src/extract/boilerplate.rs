//! Lines that are page furniture, not article text: breadcrumbs, font-size switches,
//! print/close links, share bars, previous/next links, related-news headings, editor
//! lines, footers, hit counters — the phrases portals print around every article.

use crate::text::compact;
use regex::Regex;
use std::sync::LazyLock;

/// Furniture recognised anywhere in a short line (whitespace removed before matching).
static FURNITURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        ^(?:当前位置|您当前的位置|您的位置|你的位置|你现在的位置|您现在的位置|当前的位置|所在位置|位置)[:：]
        | ^首页[>»›/＞]
        | [>»›＞]正文$
        | (?:字体|字号)[:：]?[\[【(（]?大[\]】)）]?[\[【(（]?中
        | [\[【(（]大[\]】)）]?[\[【(（]?中[\]】)）]?[\[【(（]?小
        | 打印本页|打印此页|打印文章|打印页面|打印正文|\[打印\]|【打印】|【关闭】|\[关闭\]|关闭窗口|关闭本页|返回顶部|回到顶部|收藏本页|加入收藏|我要纠错|【纠错】
        | 分享到|分享至|分享：|扫一扫|用微信扫描|微信扫一扫|手机扫描|手机版
        | ^(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上篇|下篇)
        | ^(?:相关新闻|相关链接|相关阅读|相关文章|相关稿件|相关报道|相关信息|推荐阅读|热点推荐|热门推荐|猜你喜欢|延伸阅读|精彩推荐|热点新闻|图片新闻|最新新闻|热门文章|更多>>)
        | 责任编辑[:：]|责编[:：]|^编辑[:：]|^审核[:：]|^校对[:：]|^终审[:：]|^审校[:：]|^[(（]?编辑[:：]|^【责任编辑|^编辑.{1,6}校对
        | 备案序号|备案号|ICP备|ICP证|公网安备|政府网站标识码|网站标识码|主办单位[:：]|承办单位[:：]|主办[:：]|版权所有|技术支持[:：]|网站地图|联系我们|建议使用.*浏览器|分辨率
        | (?:点击量|点击数|点击次数|浏览次数|浏览量|阅读次数|阅读量|访问量|访问次数)[:：]?\d*$
        | ^(?:Copyright|©|\(c\))
        ",
    )
    .expect("static regex")
});

/// "Read also" teasers inside western articles: a label, then a link to another story.
static READ_ALSO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:lea también|lea más|lea además|lea|mire|mira|vea también|vea|le puede interesar|te puede interesar|también te puede interesar|lee también|lesen sie auch|lesen sie hier|lesen sie mehr|auch interessant|mehr zum thema|das könnte sie auch interessieren|schon gelesen\??|read also|also read|read more|see also|related|more on this|lire aussi|à lire aussi|voir aussi|leggi anche|czytaj także|czytaj też)\s*[:：»>]",
    )
    .expect("static regex")
});

/// Picture credits and captions' sources: `Foto: …`, `(crédito: …)`, `… /Getty Images`.
static CREDITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[(\[]?(?:bild|bilder|foto|fotos|titelbild|abbildung|quelle|credit|credits|crédito|photo|photos|image|images|picture|illustration|grafik)\s*(?:via\s|[:：])|(?:getty images|istock(?:\.com)?|shutterstock|imago images|picture alliance)\W*$",
    )
    .expect("static regex")
});

/// Navigation and feedback lines that close western articles.
static CLOSERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\(?(?:zurück(?: zur (?:übersicht|listenansicht))?|back to (?:top|overview)|mehr themen|schon gelesen\?\s|weitere beiträge|zum weiterlesen|das könnte (?:dich|sie) (?:auch )?interessieren|das thema könnte dich auch interessieren|wie bewerten sie diesen artikel|war (?:der|dieser) artikel (?:hilfreich|nützlich)|was this (?:article|page) helpful|if you enjoyed (?:reading )?this|you might also like|you may also like|recommended for you|sie sind (?:aktuell )?nicht eingeloggt|(?:noch )?keine bewertungen)\b",
    )
    .expect("static regex")
});

/// A line that is only a label: an advertisement's marker, a print button, the heading
/// of a comment form or an author box.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[-–—(\s]*(?:anzeige|reklama|werbung|advertisement|publicidad|pubblicità|publicité|drukuj|drucken|print|imprimir|imprimer|stampa|neueste artikel|über (?:den|die) autor(?:in)?|about the author|kommentare? (?:verfassen|schreiben)|(?:noch )?keine (?:kommentare|bewertungen)|no comments yet|leave a comment|schreibe einen kommentar|möchten sie (?:den|diesen) artikel teilen|artikel teilen|lust auf mehr|schon gelesen|dowiedz się więcej|czytaj więcej)[-–—)\s.:!?]*$",
    )
    .expect("static regex")
});

/// Subscription and social calls that close western articles, and the notices of a
/// paywall standing in for the rest of the text (`To view the full story, please
/// subscribe`, `If you're seeing this message but you're already a subscriber`).
static CALLS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:subscribe now|subscribe to|sign up for|follow (?:us|the \w+) on|for the latest (?:stories|news)|download (?:the|our) app|jetzt abonnieren|folgen sie uns|s[ií]guenos|suscríbete|únete|hazte (?:miembro|socio)|to (?:view|read|continue reading|access|unlock) (?:the |this )?(?:full |entire |rest of the )?(?:story|article|post)|if you(?:'|’)re (?:seeing this message|already a subscriber)|already (?:a )?(?:subscriber|member)\?|(?:first-time |new )?subscribers (?:also )?(?:receive|get)\b|(?:get|receive) (?:the|our) .{0,80}\bnewsletter\b)",
    )
    .expect("static regex")
});

/// Phrases that end a line on western pages.
static FURNITURE_EN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:share this|share on|follow us|related articles|related stories|read more|advertisement|sign up for|subscribe to|print this|email this|tweet this|leave a reply|all rights reserved|copyright)",
    )
    .expect("static regex")
});

/// Whether a short line is furniture. Long lines are never dropped here: a paragraph that
/// happens to mention 版权所有 is still text.
pub(crate) fn is_furniture(text: &str) -> bool {
    let c = compact(text);
    let n = c.chars().count();
    if n == 0 {
        return false;
    }
    if n <= 120 && FURNITURE.is_match(&c) {
        return true;
    }
    let t = text.trim();
    n <= 60 && FURNITURE_EN.is_match(t)
        || n <= 250 && (READ_ALSO.is_match(t) || CALLS.is_match(t))
        || n <= 120 && (CREDITS.is_match(t) || CLOSERS.is_match(t))
        || n <= 40 && LABEL.is_match(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_furniture() {
        for line in [
            "当前位置：首页 > 区内要闻",
            "【字体：大 中 小】",
            "字号：[ 大 中 小 ]",
            "【打印本页】 【关闭窗口】",
            "分享到：",
            "上一篇：博州召开会议",
            "下一篇：无",
            "相关新闻",
            "责任编辑：李四",
            "（编辑：王五）",
            "编辑 刘晓阳 校对 李铭",
            "网站备案序号：新ICP备12345678号 政府网站标识码：6527000001",
            "主办单位：博尔塔拉蒙古自治州人民政府办公室",
            "点击量：1234",
            "Copyright © 2022",
            "Lea también: Impiden ingreso a Nicaragua a reportero",
            "VEA TAMBIÉN: Entre heces y guaricha",
            "Subscribe now to our eNATION edition for the full story.",
            "Foto: GdP/Hagen Immel",
            "(crédito: Minervino Júnior/CB/D.A.Press)",
            "Augusta National/Getty Images",
            "Das könnte Sie auch interessieren!",
            "zurück zur Listenansicht",
            "(Noch keine Bewertungen)",
            "Schon gelesen? Die Luftwaffe trainiert auf dem neuen Hubschrauber",
            "Kommentar verfassen",
            "Über den Autor",
            "- Anzeige -",
            "Reklama",
            "drukuj",
            "Siguenos en Telegram, Instagram, Facebook y Twitter",
            "To view the full story, please subscribe to The Daily Bugle. You can choose an annual subscription.",
            "If you’re seeing this message but you’re already a subscriber, you can log in for immediate access.",
            "First-time subscribers also receive a welcome gift!",
            "HAZTE MIEMBRO Y DISFRUTA DE BENEFICIOS EXCLUSIVOS",
            "Get the most popular stories in a weekly newsletter",
        ] {
            assert!(is_furniture(line), "{line}");
        }
    }

    #[test]
    fn article_text_is_not_furniture() {
        for line in [
            "9月7日，自治州科协召开座谈会，编辑部全体人员参加。",
            "大家分享了经验。",
            "Lea el informe completo en nuestra web, dijo el ministro.",
            "Zurückhaltend äußerte sich der Minister zu den Plänen.",
            "Photographers from Getty Images covered the event in detail for weeks.",
            "Print media lost readers for the tenth year in a row.",
            "To view the results, the committee met twice in March.",
            "Subscribers to the service rose by a third last year, the company said.",
            "Anzeigen gegen Unbekannt wurden erstattet.",
            "Über den Autor des Buches ist wenig bekannt, sagte die Verlegerin.",
            "会议指出，要进一步加强科普工作，推动科协事业高质量发展，为建设美丽博州贡献力量。",
        ] {
            assert!(!is_furniture(line), "{line}");
        }
    }
}
