#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seed inputs from the shared corpora and the repository's
# fixtures. The corpus directory is generated at run time and gitignored: never commit it.
#
#   fuzz/seed.sh [CORPUS_ROOT]     # default: ../shared/corpus beside the repository
#
# Re-running adds missing seeds and leaves what the fuzzer has added alone.
set -euo pipefail
FUZZ="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$FUZZ")"
SRC="${1:-$REPO/../shared/corpus}"
OUT="$FUZZ/corpus"
[ -d "$SRC" ] || { echo "no corpus at $SRC" >&2; exit 1; }
mkdir -p "$OUT"/{feed,charset,html,sanitize,config,telegram,robot,dates}

# copy TARGET FILE...: each file under a name made from its path, so seeds never collide.
copy() {
  local target="$1"; shift
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    cp -n "$f" "$OUT/$target/$(echo "${f#"$SRC"/}" | tr '/ ' '__')"
  done
}
# every Nth line of stdin
every() { awk -v n="$1" 'NR % n == 1'; }

# Feeds: every format, well- and ill-formed, encodings, entities, relative URIs.
find "$SRC"/feedparser/tests "$SRC"/w3c-feedvalidator "$SRC"/feed-rs "$SRC"/rust-syndication \
     "$SRC"/jsonfeed-spec -type f \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' \
     -o -name '*.rdf' -o -name '*.json' \) ! -name '*.serde.json' ! -name 'INDEX*' \
     ! -name '*derived*' -size -64k -print0 | xargs -0 bash -c "$(declare -f copy); SRC='$SRC' OUT='$OUT' copy feed \"\$@\"" _
copy feed "$REPO"/tests/fixtures/discover/*.xml

# Charsets: GBK/GB2312 pages (declared, undeclared, mis-declared) and feedparser's encodings.
find "$SRC"/zh-cwced/original "$SRC"/cx-extractor/RawHtml -type f | every 4 | while read -r f; do copy charset "$f"; done
find "$SRC"/feedparser/tests -type f -path '*encoding*' -size -16k | every 3 | while read -r f; do copy charset "$f"; done
copy charset "$REPO"/tests/fixtures/articles/*/page.html

# HTML: list pages and article pages, Chinese portals first, then a sample of the rest.
copy html "$SRC"/zh-lists/pages/* "$REPO"/tests/fixtures/lists/*.html \
          "$REPO"/tests/fixtures/articles/*/page.html "$REPO"/tests/fixtures/discover/*.html
find "$SRC"/zh-cwced/original -type f | every 3 | while read -r f; do copy html "$f"; done
find "$SRC"/gne/tests "$SRC"/cx-extractor/RawHtml -type f -name '*.htm*' | every 4 | while read -r f; do copy html "$f"; done
find "$SRC"/mozilla-readability -name source.html | every 4 | while read -r f; do copy html "$f"; done
find "$SRC"/trafilatura -type f -name '*.htm*' | every 20 | while read -r f; do copy html "$f"; done
find "$SRC"/scrapinghub-aeb/html -name '*.html.gz' | every 10 | while read -r f; do
  name="$(basename "$f" .gz)"; [ -e "$OUT/html/sh_$name" ] || gzip -dc "$f" > "$OUT/html/sh_$name"
done

# Sanitize: the HTML content of the feed corpora's entries (what the sanitiser sees in
# a poll), and a sample of article pages.
python3 - "$SRC" "$OUT/sanitize" <<'PY'
import hashlib, os, sys, xml.etree.ElementTree as ET
src, out = sys.argv[1], sys.argv[2]
names = {"description", "content", "summary", "encoded", "body"}
seeds = 0
for d in ("feedparser", "w3c-feedvalidator", "feed-rs", "rust-syndication"):
    for root, _, files in os.walk(os.path.join(src, d)):
        for f in files:
            try:
                tree = ET.parse(os.path.join(root, f))
            except Exception:
                continue
            for e in tree.iter():
                text = e.text or ""
                if e.tag.rsplit("}", 1)[-1] in names and "<" in text and seeds < 3000:
                    data = text.encode()
                    with open(os.path.join(out, hashlib.sha1(data).hexdigest()[:16]), "wb") as fh:
                        fh.write(data)
                    seeds += 1
PY
find "$SRC"/zh-cwced/original -type f | every 10 | while read -r f; do copy sanitize "$f"; done

# Config: the example and deploy files, the error fixture.
copy config "$REPO"/feeds.toml "$REPO"/tests/fixtures/config/*.toml "$REPO"/deploy/*.toml

# Dates: feedparser's date vectors, the hand-labelled Chinese dates, dated URLs.
python3 - "$SRC" "$OUT" <<'PY'
import json, os, sys, glob, hashlib
src, out = sys.argv[1], sys.argv[2]
def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
for v in json.load(open(os.path.join(src, "feedparser/derived-date-vectors.json"))):
    if v["input"]:
        put("dates", v["input"])
for p in sorted(glob.glob(os.path.join(src, "zh-cwced/date/*.txt")))[::3]:
    put("dates", open(p, "rb").read())
for s in ["发布时间：2022年09月07日 10:45", "2022-09-07 10:45+08:00", "【字体：大 中 小】2022/9/7",
          "https://www.gov.cn/zhengce/content/2022-09/07/content_5708695.htm",
          "Wed, 07 Sep 2022 10:45:00 GMT", "3小时前", "昨天 10:45", "09-07", "二〇二二年九月七日",
          "2022年第9期", "Sept. 7, 2022, 10:45 a.m. EDT"]:
    put("dates", s)
# Config: TOML blocks of the README and the raw-string configs of the tests.
import re
repo = os.path.dirname(os.path.dirname(os.path.abspath(out)))
for block in re.findall(r"```toml\n(.*?)```", open(os.path.join(repo, "README.md")).read(), re.S):
    put("config", block)
for p in glob.glob(os.path.join(repo, "tests", "**", "*.rs"), recursive=True) + \
         glob.glob(os.path.join(repo, "src", "config", "*.rs")):
    for raw in re.findall(r'r#"(.*?)"#', open(p).read(), re.S):
        if "[[source]]" in raw or "[daemon]" in raw or "[[feed]]" in raw:
            put("config", raw)
# Robots: item fields joined by 0x01 (title, url, source, published, author, origin,
# excerpt, keyword, run, feed, alert title, alert detail).
cw = sorted(glob.glob(os.path.join(src, "zh-cwced/cleaned/*.txt")))[:20]
for i, p in enumerate(cw):
    text = open(p, "rb").read().decode("utf-8", "replace")
    fields = ["关于[开展] *2022* 年度_申报_工作的通知 <b>#" + str(i),
              "https://www.example.gov.cn/a/b_(1).html?x=1&y=[2]", "市政府 *办公室*",
              "2022-09-07 10:45", "张三", "新华社", text[: 200 * (i + 1)], "申报",
              "2022-09-07 08:00", "通知公告", "⚠️ 抓取失败", text[:300]]
    put("robot", "\x01".join(fields))
# Telegram: two bytes of limit (little-endian), then chat HTML.
import random
rng = random.Random(7)
for i, p in enumerate(cw):
    text = open(p, "rb").read().decode("utf-8", "replace")
    html = "<b>标题 &amp; 副题</b>\n<i>来源 · 2022-09-07</i>\n\n" + \
        "\n\n".join('<a href="https://e.cn/?a=1&amp;b=2">' + para + "</a>" if j % 3 == 0 else para
                    for j, para in enumerate(text.split("\n")))
    limit = rng.choice([4096, 4095, 100, 17, 2, 1])
    put("telegram", limit.to_bytes(2, "little") + html.encode())
PY
for t in "$OUT"/*; do printf '%-9s %5d seeds\n' "$(basename "$t")" "$(ls "$t" | wc -l)"; done
