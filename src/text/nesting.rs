//! HTML nesting bounded before a parser sees it.
//!
//! html5ever's tree builder walks its stack of open elements on most tags ("is there a
//! `<p>` in button scope?"), so its time grows with depth × tags: 100,000 nested `<div>`s
//! (500 KB) took it 12 s, 40,000 `<ul><li>` 8 s. [`flatten`] reads the tags the way the
//! parser will, keeps a model of its stack of open elements (with the implied end tags
//! of `<p>`, `<li>`, table rows and cells, and the scoping rules of end tags), and drops
//! the tags that would open an element deeper than [`MAX_DEPTH`], with their end tags.
//! Text is kept: what was nested too deep reads as text of the element at the limit.
//! Unclosed formatting elements (`<b>`, `<font>`, …), which the parser keeps on a second
//! list and reopens, are bounded the same way ([`MAX_FORMATTING`]), and so is the number
//! of elements ([`MAX_ELEMENTS`]).
//!
//! The model is linear in the input: every "is X in scope" question is answered from
//! per-name and per-kind position stacks, not by walking the stack. Pages of ordinary
//! depth come back borrowed and unchanged.

use std::borrow::Cow;
use std::collections::HashMap;

/// Elements opened deeper than this are dropped (their text is kept). Real pages stay
/// far below it (the deepest in the extraction corpora is under 100); extraction
/// flattens below 160 anyway.
pub const MAX_DEPTH: usize = 192;
/// Formatting elements (`<b>`, `<font>`, `<i>` …) open at once beyond this are dropped.
pub const MAX_FORMATTING: usize = 64;
/// Tags after this many elements are dropped (the rest of the page is text): the
/// parser's work grows with the number of elements too, and the busiest page of the
/// corpora has under 10,000.
pub const MAX_ELEMENTS: usize = 50_000;

// Element kinds, as bit flags computed once per opened element.
const SPECIAL: u16 = 1;
/// Special, but not `address`, `div`, `p`, `li`, `dd`, `dt`: stops the search for an open
/// `<li>`/`<dd>` to close.
const STOPS_ITEM: u16 = 1 << 1;
/// Boundaries of the default scope.
const SCOPE: u16 = 1 << 2;
/// Default scope plus `button`.
const BUTTON_SCOPE: u16 = 1 << 3;
/// Default scope plus `ol`, `ul`.
const LIST_SCOPE: u16 = 1 << 4;
/// `html`, `table`, `template`.
const TABLE_SCOPE: u16 = 1 << 5;
/// Table scope plus `tbody`, `thead`, `tfoot`: where a new row stops closing.
const TABLE_BODY: u16 = 1 << 6;
/// `svg` and `math`: inside them `<x/>` closes itself.
const FOREIGN: u16 = 1 << 7;
const FORMATTING: u16 = 1 << 8;
const KINDS: usize = 9;

/// `html` with tags nested beyond [`MAX_DEPTH`] removed; borrowed when nothing was.
pub fn flatten(html: &str) -> Cow<'_, str> {
    flatten_to(html, MAX_DEPTH)
}

/// [`flatten`] with another depth (tests, benchmarks).
pub fn flatten_to(html: &str, max_depth: usize) -> Cow<'_, str> {
    // A page without that many tags cannot nest that deep.
    if html.bytes().filter(|&b| b == b'<').take(max_depth).count() < max_depth {
        return Cow::Borrowed(html);
    }
    let mut f = Flattener::new(html, max_depth);
    f.run();
    match f.out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[f.copied..]);
            Cow::Owned(out)
        }
    }
}

struct Open {
    name: u64,
    kinds: u16,
}

struct Flattener<'a> {
    html: &'a str,
    max_depth: usize,
    /// The model of the parser's stack of open elements.
    stack: Vec<Open>,
    /// Positions in `stack` of each open element name, innermost last.
    by_name: HashMap<u64, Vec<usize>>,
    /// Positions in `stack` of the open elements of each kind, innermost last.
    by_kind: [Vec<usize>; KINDS],
    /// Start tags dropped (too deep) whose end tags have not come yet.
    excess: usize,
    /// Formatting elements opened and not closed by their own end tag, per name.
    formatting: HashMap<u64, usize>,
    formatting_open: usize,
    /// Formatting start tags dropped, per name: their end tags are dropped too.
    formatting_dropped: HashMap<u64, usize>,
    /// Output, created at the first tag dropped: `html[..copied]` is in it.
    out: Option<String>,
    copied: usize,
    /// The stack's greatest height.
    deepest: usize,
    /// Start tags seen (kept or not).
    elements: usize,
}

/// Name of a tag: FNV-1a of its ASCII-lower-cased bytes.
fn name_hash(name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The tags whose rules differ from a plain element's, lower-cased into `buf`.
fn lower<'b>(name: &[u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    if name.len() > buf.len() {
        return b"";
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    &buf[..name.len()]
}

fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"image"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"keygen"
            | b"basefont"
            | b"bgsound"
            | b"frame"
    )
}

/// Elements whose content is text up to their end tag (no tags inside).
fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script"
            | b"style"
            | b"xmp"
            | b"iframe"
            | b"noembed"
            | b"noframes"
            | b"noscript"
            | b"textarea"
            | b"title"
    )
}

fn is_formatting(name: &[u8]) -> bool {
    matches!(
        name,
        b"a" | b"b"
            | b"big"
            | b"code"
            | b"em"
            | b"font"
            | b"i"
            | b"nobr"
            | b"s"
            | b"small"
            | b"strike"
            | b"strong"
            | b"tt"
            | b"u"
    )
}

/// Start tags that close an open `<p>` first.
fn closes_p(name: &[u8]) -> bool {
    matches!(
        name,
        b"address"
            | b"article"
            | b"aside"
            | b"blockquote"
            | b"center"
            | b"details"
            | b"dialog"
            | b"dir"
            | b"div"
            | b"dl"
            | b"fieldset"
            | b"figcaption"
            | b"figure"
            | b"footer"
            | b"header"
            | b"hgroup"
            | b"main"
            | b"menu"
            | b"nav"
            | b"ol"
            | b"p"
            | b"search"
            | b"section"
            | b"summary"
            | b"ul"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"pre"
            | b"listing"
            | b"form"
            | b"li"
            | b"dd"
            | b"dt"
            | b"table"
            | b"hr"
    )
}

fn kinds_of(name: &[u8]) -> u16 {
    let special = matches!(
        name,
        b"address"
            | b"applet"
            | b"article"
            | b"aside"
            | b"blockquote"
            | b"body"
            | b"button"
            | b"caption"
            | b"center"
            | b"colgroup"
            | b"dd"
            | b"details"
            | b"dir"
            | b"div"
            | b"dl"
            | b"dt"
            | b"fieldset"
            | b"figcaption"
            | b"figure"
            | b"footer"
            | b"form"
            | b"frameset"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"head"
            | b"header"
            | b"hgroup"
            | b"html"
            | b"li"
            | b"listing"
            | b"main"
            | b"marquee"
            | b"menu"
            | b"nav"
            | b"object"
            | b"ol"
            | b"p"
            | b"plaintext"
            | b"pre"
            | b"search"
            | b"section"
            | b"select"
            | b"summary"
            | b"table"
            | b"tbody"
            | b"td"
            | b"template"
            | b"tfoot"
            | b"th"
            | b"thead"
            | b"tr"
            | b"ul"
    );
    let scope = matches!(
        name,
        b"applet"
            | b"caption"
            | b"html"
            | b"table"
            | b"td"
            | b"th"
            | b"marquee"
            | b"object"
            | b"template"
    );
    let mut k = 0;
    if special {
        k |= SPECIAL;
        if !matches!(name, b"address" | b"div" | b"p" | b"li" | b"dd" | b"dt") {
            k |= STOPS_ITEM;
        }
    }
    if scope {
        k |= SCOPE | BUTTON_SCOPE | LIST_SCOPE;
    }
    if name == b"button" {
        k |= BUTTON_SCOPE;
    }
    if matches!(name, b"ol" | b"ul") {
        k |= LIST_SCOPE;
    }
    if matches!(name, b"html" | b"table" | b"template") {
        k |= TABLE_SCOPE | TABLE_BODY;
    }
    if matches!(name, b"tbody" | b"thead" | b"tfoot") {
        k |= TABLE_BODY;
    }
    if matches!(name, b"svg" | b"math") {
        k |= FOREIGN;
    }
    if is_formatting(name) {
        k |= FORMATTING;
    }
    k
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// The `>` that ends a tag whose name ends before `j`, reading attribute values the way
/// the tokenizer does (a `>` inside quotes does not end it); `None` at end of input.
fn tag_end(b: &[u8], mut j: usize) -> Option<usize> {
    loop {
        while j < b.len() && (is_space(b[j]) || b[j] == b'/') {
            j += 1;
        }
        match b.get(j)? {
            b'>' => return Some(j),
            _ => j += 1,
        }
        while j < b.len() && !is_space(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        if b.get(j) == Some(&b'=') {
            j += 1;
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            match b.get(j)? {
                q @ (b'"' | b'\'') => {
                    let q = *q;
                    j += 1 + b[j + 1..].iter().position(|&c| c == q)? + 1;
                }
                _ => {
                    while j < b.len() && !is_space(b[j]) && b[j] != b'>' {
                        j += 1;
                    }
                }
            }
        }
    }
}

/// Where `needle` (ASCII) starts in `hay` from `from` on, ignoring ASCII case.
fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let off = hay[i..].iter().position(|&c| c == first)?;
        i += off;
        if i + needle.len() <= hay.len() && hay[i..i + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

impl<'a> Flattener<'a> {
    fn new(html: &'a str, max_depth: usize) -> Self {
        Flattener {
            html,
            max_depth,
            stack: Vec::new(),
            by_name: HashMap::new(),
            by_kind: Default::default(),
            excess: 0,
            formatting: HashMap::new(),
            formatting_open: 0,
            formatting_dropped: HashMap::new(),
            out: None,
            copied: 0,
            deepest: 0,
            elements: 0,
        }
    }

    fn run(&mut self) {
        let b = self.html.as_bytes();
        let mut i = 0;
        while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
            let lt = i + off;
            let next = b.get(lt + 1).copied().unwrap_or(0);
            i = if b[lt + 1..].starts_with(b"!--") {
                match self.comment_end(lt + 4) {
                    Some(end) => end,
                    None => return,
                }
            } else if next == b'!' || next == b'?' {
                match b[lt..].iter().position(|&c| c == b'>') {
                    Some(gt) => lt + gt + 1,
                    None => return,
                }
            } else if next == b'/' {
                let start = lt + 2;
                if !b.get(start).is_some_and(u8::is_ascii_alphabetic) {
                    match b[lt..].iter().position(|&c| c == b'>') {
                        Some(gt) => lt + gt + 1,
                        None => return,
                    }
                } else {
                    let name_end = start + name_len(&b[start..]);
                    let Some(gt) = tag_end(b, name_end) else {
                        return;
                    };
                    self.end_tag(&b[start..name_end], lt, gt);
                    gt + 1
                }
            } else if next.is_ascii_alphabetic() {
                let start = lt + 1;
                let name_end = start + name_len(&b[start..]);
                let Some(gt) = tag_end(b, name_end) else {
                    return;
                };
                let self_closing = gt > name_end && b[gt - 1] == b'/';
                match self.start_tag(&b[start..name_end], lt, gt, self_closing) {
                    Some(resume) => resume,
                    None => return,
                }
            } else {
                lt + 1
            };
        }
    }

    /// The end of a comment whose text starts at `from`.
    fn comment_end(&self, from: usize) -> Option<usize> {
        let b = self.html.as_bytes();
        if b[from..].starts_with(b">") {
            return Some(from + 1);
        }
        if b[from..].starts_with(b"->") {
            return Some(from + 2);
        }
        let mut i = from;
        loop {
            let at = i + b[i..].iter().position(|&c| c == b'-')?;
            if b[at..].starts_with(b"-->") {
                return Some(at + 3);
            }
            if b[at..].starts_with(b"--!>") {
                return Some(at + 4);
            }
            i = at + 1;
        }
    }

    /// Leave the tag at `lt..=gt` out of the output.
    fn drop_tag(&mut self, lt: usize, gt: usize) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.html.len()));
        out.push_str(&self.html[self.copied..lt]);
        self.copied = gt + 1;
    }

    fn top_named(&self, name: &[u8]) -> Option<usize> {
        self.by_name
            .get(&name_hash(name))
            .and_then(|v| v.last().copied())
    }

    fn top_of(&self, kind: u16) -> Option<usize> {
        self.by_kind[kind.trailing_zeros() as usize].last().copied()
    }

    /// Whether the innermost open `target` is inside (or is) the innermost `boundary`.
    fn in_scope(&self, target: Option<usize>, boundary: Option<usize>) -> bool {
        target.is_some() && target >= boundary
    }

    fn current_is(&self, name: &[u8]) -> bool {
        self.stack.last().is_some_and(|o| o.name == name_hash(name))
    }

    fn push(&mut self, name: &[u8], lowered: &[u8]) {
        let kinds = kinds_of(lowered);
        let hash = name_hash(name);
        let pos = self.stack.len();
        self.stack.push(Open { name: hash, kinds });
        self.deepest = self.deepest.max(self.stack.len());
        self.by_name.entry(hash).or_default().push(pos);
        for k in 0..KINDS {
            if kinds & (1 << k) != 0 {
                self.by_kind[k].push(pos);
            }
        }
    }

    /// Close the elements from `pos` (inclusive) up.
    fn pop_to(&mut self, pos: usize) {
        while self.stack.len() > pos {
            let Some(open) = self.stack.pop() else { break };
            if let Some(v) = self.by_name.get_mut(&open.name) {
                v.pop();
            }
            for k in 0..KINDS {
                if open.kinds & (1 << k) != 0 {
                    self.by_kind[k].pop();
                }
            }
        }
    }

    fn close_p(&mut self) {
        let p = self.top_named(b"p");
        if self.in_scope(p, self.top_of(BUTTON_SCOPE)) {
            self.pop_to(p.unwrap_or(0));
        }
    }

    /// The end tags the parser implies before opening `name`.
    fn implied_ends(&mut self, name: &[u8]) {
        if closes_p(name) {
            self.close_p();
        }
        match name {
            b"li" => {
                let li = self.top_named(b"li");
                let stop = self
                    .top_of(STOPS_ITEM)
                    .max(self.top_named(b"dd"))
                    .max(self.top_named(b"dt"));
                if li.is_some() && li > stop {
                    self.pop_to(li.unwrap_or(0));
                }
            }
            b"dd" | b"dt" => {
                let item = self.top_named(b"dd").max(self.top_named(b"dt"));
                let stop = self.top_of(STOPS_ITEM).max(self.top_named(b"li"));
                if item.is_some() && item > stop {
                    self.pop_to(item.unwrap_or(0));
                }
            }
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                let current_heading = ["h1", "h2", "h3", "h4", "h5", "h6"]
                    .iter()
                    .any(|h| self.current_is(h.as_bytes()));
                if current_heading {
                    self.pop_to(self.stack.len() - 1);
                }
            }
            b"a" => {
                let a = self.top_named(b"a");
                if a.is_some() && a > self.top_of(SPECIAL) {
                    self.pop_to(a.unwrap_or(0));
                }
                // The parser closes an open `<a>` before opening another.
                let h = name_hash(b"a");
                if let Some(n) = self.formatting.get_mut(&h) {
                    self.formatting_open -= *n;
                    *n = 0;
                }
            }
            b"option" | b"optgroup" => {
                if self.current_is(b"option") {
                    self.pop_to(self.stack.len() - 1);
                }
                if name == b"optgroup" && self.current_is(b"optgroup") {
                    self.pop_to(self.stack.len() - 1);
                }
            }
            b"tr" => {
                let tr = self.top_named(b"tr");
                if tr.is_some() && tr > self.top_of(TABLE_BODY) {
                    self.pop_to(tr.unwrap_or(0));
                }
            }
            b"td" | b"th" => {
                let cell = self.top_named(b"td").max(self.top_named(b"th"));
                let stop = self.top_named(b"tr").max(self.top_of(TABLE_BODY));
                if cell.is_some() && cell > stop {
                    self.pop_to(cell.unwrap_or(0));
                }
            }
            b"tbody" | b"thead" | b"tfoot" => {
                let body = self
                    .top_named(b"tbody")
                    .max(self.top_named(b"thead"))
                    .max(self.top_named(b"tfoot"));
                if body.is_some() && body > self.top_of(TABLE_SCOPE) {
                    self.pop_to(body.unwrap_or(0));
                }
            }
            b"button" => {
                let button = self.top_named(b"button");
                if self.in_scope(button, self.top_of(SCOPE)) {
                    self.pop_to(button.unwrap_or(0));
                }
            }
            _ => {}
        }
    }

    /// A start tag at `lt..=gt`; where to read on, or `None` when the rest is text.
    fn start_tag(
        &mut self,
        name: &[u8],
        lt: usize,
        gt: usize,
        self_closing: bool,
    ) -> Option<usize> {
        let mut buf = [0u8; 16];
        let lowered = lower(name, &mut buf);
        let foreign = self.top_of(FOREIGN).is_some();
        if !foreign && is_raw_text(lowered) {
            // Its text runs to its end tag, which is consumed here: no element nests in it.
            let mut close = Vec::with_capacity(lowered.len() + 2);
            close.extend_from_slice(b"</");
            close.extend_from_slice(lowered);
            let b = self.html.as_bytes();
            let mut from = gt + 1;
            loop {
                let at = find_ci(b, from, &close)?;
                let after = b.get(at + close.len()).copied().unwrap_or(b'>');
                if is_space(after) || after == b'/' || after == b'>' {
                    let end = tag_end(b, at + close.len())?;
                    return Some(end + 1);
                }
                from = at + 1;
            }
        }
        if lowered == b"plaintext" {
            return None;
        }
        self.elements += 1;
        if self.elements > MAX_ELEMENTS {
            self.drop_tag(lt, gt);
            return Some(gt + 1);
        }
        if is_void(lowered)
            || ((foreign || matches!(lowered, b"svg" | b"math")) && self_closing)
            || matches!(lowered, b"html" | b"head" | b"body")
        {
            return Some(gt + 1);
        }
        if self.excess > 0 {
            self.excess += 1;
            self.drop_tag(lt, gt);
            return Some(gt + 1);
        }
        let formatting = is_formatting(lowered);
        if formatting && lowered != b"a" && self.formatting_open >= MAX_FORMATTING {
            *self.formatting_dropped.entry(name_hash(name)).or_default() += 1;
            self.drop_tag(lt, gt);
            return Some(gt + 1);
        }
        self.implied_ends(lowered);
        if self.stack.len() >= self.max_depth {
            self.excess += 1;
            self.drop_tag(lt, gt);
            return Some(gt + 1);
        }
        if formatting {
            *self.formatting.entry(name_hash(name)).or_default() += 1;
            self.formatting_open += 1;
        }
        self.push(name, lowered);
        Some(gt + 1)
    }

    fn end_tag(&mut self, name: &[u8], lt: usize, gt: usize) {
        let mut buf = [0u8; 16];
        let lowered = lower(name, &mut buf);
        let hash = name_hash(name);
        if self.elements > MAX_ELEMENTS {
            self.drop_tag(lt, gt);
            return;
        }
        if let Some(n) = self.formatting_dropped.get_mut(&hash)
            && *n > 0
        {
            *n -= 1;
            self.drop_tag(lt, gt);
            return;
        }
        if self.excess > 0 {
            self.excess -= 1;
            self.drop_tag(lt, gt);
            return;
        }
        if let Some(n) = self.formatting.get_mut(&hash)
            && *n > 0
        {
            *n -= 1;
            self.formatting_open -= 1;
        }
        let target = self.top_named(name);
        let close = match lowered {
            b"html" | b"head" | b"body" => false,
            b"p" => self.in_scope(target, self.top_of(BUTTON_SCOPE)),
            b"li" => self.in_scope(target, self.top_of(LIST_SCOPE)),
            _ if is_formatting(lowered) => {
                self.in_scope(target, self.top_of(SCOPE)) && target > self.top_of(SPECIAL)
            }
            _ if kinds_of(lowered) & SPECIAL != 0 => self.in_scope(target, self.top_of(SCOPE)),
            _ => self.in_scope(target, self.top_of(SPECIAL)),
        };
        if close && let Some(pos) = target {
            self.pop_to(pos);
        }
    }
}

/// Length of the tag name at the start of `b`: up to whitespace, `/` or `>`.
fn name_len(b: &[u8]) -> usize {
    b.iter()
        .position(|&c| is_space(c) || c == b'/' || c == b'>')
        .unwrap_or(b.len())
}

/// How deep the model of the parser's stack gets on `html` (tests and measurements).
pub fn max_depth_of(html: &str) -> usize {
    let mut f = Flattener::new(html, usize::MAX);
    f.run();
    f.deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(html: &str) -> usize {
        max_depth_of(html)
    }

    #[test]
    fn ordinary_pages_come_back_unchanged() {
        let page = "<html><body><div class=a><p>一<p>二<ul><li>x<li>y</ul><table><tr><td>1<td>2<tr><td>3</table></div></body></html>";
        assert!(matches!(flatten_to(page, 8), Cow::Borrowed(_)));
        assert!(matches!(flatten(page), Cow::Borrowed(_)));
    }

    #[test]
    fn implied_end_tags_do_not_count_as_nesting() {
        // Unclosed paragraphs, list items, rows and cells are siblings to the parser.
        assert_eq!(depth(&"<p>para".repeat(1000)), 1);
        assert_eq!(depth(&format!("<ul>{}</ul>", "<li>item".repeat(1000))), 2);
        assert_eq!(
            depth(&format!("<table>{}</table>", "<tr><td>a<td>b".repeat(500))),
            3
        );
        assert_eq!(depth(&"<h2>a<h3>b".repeat(100)), 1);
        assert_eq!(depth(&"<a href=x>link".repeat(100)), 1);
        assert_eq!(depth(&"<div>a</div>".repeat(1000)), 1);
        // A `>` inside a quoted attribute value does not end the tag.
        assert_eq!(depth(r#"<div title="a>b"><span>x</span></div>"#), 2);
        // Scripts, styles and comments hold no tags.
        assert_eq!(
            depth("<script>if (a<b) { '<div><div><div>' }</script><!-- <div><div> -->"),
            0
        );
    }

    #[test]
    fn end_tags_follow_the_parser_scoping() {
        // `</span>` does not close through a `<div>`: the parser ignores it there.
        assert_eq!(depth(&"<span><div></span>".repeat(50)), 100);
        // `</div>` closes the spans inside it.
        assert_eq!(depth(&"<div><span><span></div>".repeat(50)), 3);
    }

    #[test]
    fn deep_nesting_is_cut_at_the_limit_keeping_the_text() {
        let deep = format!(
            "{}核心内容{}",
            "<div>".repeat(10_000),
            "</div>".repeat(10_000)
        );
        let flat = flatten_to(&deep, 50);
        assert_eq!(flat.matches("<div>").count(), 50);
        assert_eq!(flat.matches("</div>").count(), 50);
        assert!(flat.contains("核心内容"));
        assert_eq!(depth(&flat), 50);

        let lists = "<ul><li>x".repeat(40_000);
        let flat = flatten(&lists);
        assert!(depth(&flat) <= MAX_DEPTH);
        assert_eq!(flat.matches('x').count(), 40_000);
    }

    #[test]
    fn unclosed_formatting_elements_are_bounded() {
        let page = "<b id=1><div>x</div>".repeat(1000);
        let flat = flatten(&page);
        assert_eq!(flat.matches("<b ").count(), MAX_FORMATTING);
        assert_eq!(flat.matches('x').count(), 1000);
    }

    #[test]
    fn tags_beyond_the_element_budget_are_dropped_keeping_text() {
        let page = "<p>段落</p>".repeat(MAX_ELEMENTS + 10);
        let flat = flatten(&page);
        assert_eq!(flat.matches("<p>").count(), MAX_ELEMENTS);
        assert_eq!(flat.matches("</p>").count(), MAX_ELEMENTS);
        assert_eq!(flat.matches("段落").count(), MAX_ELEMENTS + 10);
    }

    #[test]
    fn unfinished_markup_at_the_end_is_kept_as_is() {
        for page in [
            "<div",
            "<div title=\"unterminated>",
            "<!-- open",
            "<script>x",
            "</",
            "<",
            "a<b",
        ] {
            let input = format!("<i><i><i>{page}");
            let flat = flatten_to(&input, 1);
            assert_eq!(flat, format!("<i>{page}"));
        }
    }
}
