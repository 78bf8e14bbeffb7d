#!/usr/bin/python3
"""test_browser.py — the web page of `vlmindex serve` in Debian's headless
chromium, driven over the DevTools protocol (cdp.py).

A photo collection and (when the build has the GDCM module) a synthetic
DICOM collection are served on loopback.  The test types a query and waits
for result thumbnails, clicks "more like this" and checks the query and the
results changed, refines with +, opens an image, classifies the results
with a label set, loads the DICOM worklist (with its triage banner), checks
the page at phone width, and that a server with a token makes the page ask
for it once.  Screenshots go to $VLM_BUILD_DIR/test-artifacts/server/.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from workspace import SKIP, Server, Workspace, skip  # noqa: E402

try:
    import cdp  # needs python3-websocket
except ImportError:
    skip("python3-websocket is not installed (apt-get install python3-websocket)")

ARTIFACTS = os.path.join(os.environ.get("VLM_BUILD_DIR", "build"),
                         "test-artifacts", "server")


def shot(b, name):
    path = os.path.join(ARTIFACTS, name)
    b.screenshot(path)
    print("screenshot: " + path)


def count(b, selector):
    return b.eval("document.querySelectorAll(%s).length" % json.dumps(selector))


def thumbs_loaded(b):
    return b.eval("(() => { const imgs = [...document.querySelectorAll('#results img')];"
                  " return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);"
                  " })()")


def search_flow(b, url):
    b.navigate(url)
    b.wait("document.getElementById('status').textContent.includes('images')",
           what="the status line")
    b.eval("document.getElementById('q').focus()")
    b.type("black cat on a chair")
    b.enter()
    b.wait("document.querySelectorAll('#results .result').length > 0",
           what="results for a typed query")
    b.wait("(%s)()" % "() => [...document.querySelectorAll('#results img')]"
           ".every(i => i.complete && i.naturalWidth > 0)", what="thumbnails")
    assert thumbs_loaded(b)
    summary = b.eval("document.getElementById('summary').textContent")
    assert "black cat on a chair" in summary, summary
    assert b.eval("location.hash") == "#q=black%20cat%20on%20a%20chair"
    shot(b, "search.png")

    first = b.eval("document.querySelector('#results .result').dataset.id")
    before = b.eval("[...document.querySelectorAll('#results .result')]"
                    ".map(e => e.dataset.id).join(',')")
    b.click("#results .result .more-like-this")
    b.wait("document.getElementById('q').value === 'id:%s'" % first,
           what="the query to become id:%s" % first)
    b.wait("document.getElementById('summary').textContent.includes('id:%s')" % first,
           what="results for the image query")
    after = b.eval("[...document.querySelectorAll('#results .result')]"
                   ".map(e => e.dataset.id).join(',')")
    assert after != before, "more like this did not change the results"
    # The image itself is its own nearest neighbour.
    assert after.split(",")[0] == first, (first, after)
    shot(b, "more-like-this.png")

    second = b.eval("document.querySelectorAll('#results .result')[1].dataset.id")
    b.click("#results .result:nth-child(2) .plus")
    b.wait("document.getElementById('q').value === 'id:%s + id:%s'" % (first, second),
           what="a refined query")
    b.wait("document.querySelectorAll('#results .result').length > 0",
           what="refined results")

    b.eval("document.querySelector('#results .result .open').focus()")
    target = b.eval("document.activeElement.closest('.result').dataset.id")
    b.key("m", vk=77, text="m")
    b.wait("document.getElementById('q').value === 'id:%s'" % target,
           what="the m key to search like the focused image")


def classify_results(b, labels):
    """Labels typed into the classify box: one on every result shown."""
    b.eval("document.getElementById('filters').open = true")
    b.eval("document.getElementById('labels').focus()")
    b.type(labels)
    b.enter()
    b.wait("document.querySelectorAll('#results .label').length === "
           "document.querySelectorAll('#results .result').length",
           what="a label on every result")


def detail_and_classify(b):
    b.wait("document.querySelectorAll('#results .result').length > 1",
           what="results before opening one")
    b.click("#results .result .open")
    b.wait("document.getElementById('detail').open", what="the image dialog")
    b.wait("document.getElementById('detail-img').naturalWidth > 0",
           what="the full image")
    meta = b.eval("document.getElementById('detail-meta').textContent")
    assert "format" in meta and "width" in meta, meta
    shot(b, "detail.png")
    b.key("Escape", vk=27)
    b.wait("!document.getElementById('detail').open", what="the dialog to close")

    classify_results(b, "cat, dog, car")
    label = b.eval("document.querySelector('#results .label').textContent")
    assert label.split()[0] in ("cat", "dog", "car"), label
    shot(b, "classify.png")


def upload(b, ws):
    """Search with an image file: the file itself comes first."""
    b.set_file("#upload", os.path.join(ws.photos, "cat.jpg"))
    b.wait("document.getElementById('summary').textContent.includes('the image')",
           what="results for an uploaded image")
    b.wait("document.querySelectorAll('#results .result').length > 0",
           what="upload results")
    title = b.eval("document.querySelector('#results .result').title")
    assert title.endswith("/photos/cat.jpg"), title


def phone_width(b, url):
    b.viewport(390, 844, mobile=True)
    b.navigate(url + "#q=red%20flowers")
    b.wait("document.querySelectorAll('#results .result').length > 0",
           what="results at phone width")
    b.wait("(%s)()" % "() => [...document.querySelectorAll('#results img')]"
           ".every(i => i.complete && i.naturalWidth > 0)", what="thumbnails")
    wide = b.eval("document.documentElement.scrollWidth")
    assert wide <= 390, "the page is %d px wide at phone width" % wide
    shot(b, "phone.png")
    b.viewport(1280, 900)


def worklist(b, url, dicom_index):
    b.navigate(url)
    b.wait("document.getElementById('collection').options.length > %d" % dicom_index,
           what="the collection list")
    b.eval("(() => { const s = document.getElementById('collection');"
           " s.value = '%d'; s.dispatchEvent(new Event('change')); })()" % dicom_index)
    b.wait("!document.getElementById('worklist-tab').hidden", what="the worklist tab")
    assert b.eval("!document.getElementById('triage').hidden")
    b.click("#worklist-tab")
    b.wait("!document.getElementById('worklist-view').hidden", what="the worklist view")
    b.eval("document.getElementById('wq').focus()")
    b.type("chest x-ray")
    b.enter()
    b.wait("document.querySelectorAll('#worklist tbody tr.study').length > 0",
           what="worklist rows")
    banner = b.eval("document.getElementById('triage').textContent")
    assert "Research triage, not a diagnosis" in banner, banner
    note = b.eval("document.getElementById('worklist-summary').textContent")
    assert "research triage, not a diagnosis" in note, note
    b.wait("[...document.querySelectorAll('#worklist img')].every(i => i.naturalWidth > 0)",
           what="worklist previews")
    shot(b, "worklist.png")
    b.click("#worklist tbody tr.study .preview")
    b.wait("document.getElementById('detail').open && "
           "document.getElementById('detail-img').naturalWidth > 0",
           what="a rendered slice")
    assert not b.eval("document.getElementById('window-row').hidden")
    caption = b.eval("document.getElementById('detail-caption').textContent")
    assert "/" not in caption, "a DICOM image shows its path: " + caption
    b.eval("(() => { const s = document.getElementById('window');"
           " s.value = 'bone'; s.dispatchEvent(new Event('change')); })()")
    shot(b, "dicom-slice.png")
    b.key("Escape", vk=27)


def all_collections(b, url, dicom_index):
    """"All collections": hits of both, each shown, opened and classified
    through its own collection."""
    b.navigate(url)
    b.wait("[...document.getElementById('collection').options]"
           ".some(o => o.value === 'all')", what="the All collections option")
    b.eval("(() => { const s = document.getElementById('collection');"
           " s.value = 'all'; s.dispatchEvent(new Event('change')); })()")
    b.wait("document.getElementById('status').textContent.includes('collections')",
           what="the status of all collections")
    assert b.eval("!document.getElementById('triage').hidden"), \
        "DICOM hits are shown without the research-triage notice"
    b.eval("document.getElementById('q').focus()")
    b.type("a photo")
    b.enter()
    b.wait("new Set([...document.querySelectorAll('#results .result')]"
           ".map(e => e.dataset.coll)).size === 2", what="hits of both collections")
    b.wait("[...document.querySelectorAll('#results img')]"
           ".every(i => i.complete && i.naturalWidth > 0)", what="every thumbnail")
    b.click("#results .result[data-coll='%d'] .open" % dicom_index)
    b.wait("document.getElementById('detail').open && "
           "document.getElementById('detail-img').naturalWidth > 0",
           what="a DICOM hit opened from All collections")
    caption = b.eval("document.getElementById('detail-caption').textContent")
    assert "/" not in caption, "a DICOM image shows its path: " + caption
    b.key("Escape", vk=27)
    b.wait("!document.getElementById('detail').open", what="the dialog to close")
    classify_results(b, "scan, photo")


def token_flow(b, ws, coll):
    token = "browser-test-token-0123456789"
    tf = ws.path("token")
    with open(tf, "w") as f:
        f.write(token + "\n")
    os.chmod(tf, 0o600)
    srv = Server(ws, "-C", coll, "-l", "127.0.0.2:0", "--token-file", tf)
    try:
        b.navigate(srv.url)
        b.wait("document.getElementById('token-dialog').open",
               what="the page to ask for the token")
        b.eval("document.getElementById('token').focus()")
        b.type(token)
        b.enter()
        b.wait("document.getElementById('status').textContent.includes('images')",
               what="the status after the token")
        b.navigate(srv.url + "#q=cat")
        b.wait("document.querySelectorAll('#results img').length > 0 && "
               "[...document.querySelectorAll('#results img')].every(i => i.naturalWidth > 0)",
               what="thumbnails fetched with the token")
        assert not b.eval("document.getElementById('token-dialog').open"), \
            "the page asked for the token twice"
    finally:
        srv.stop()


def main():
    binary = cdp.find_chromium()
    if not binary:
        skip("chromium is not installed (apt-get install chromium)")
    os.makedirs(ARTIFACTS, exist_ok=True)
    ws = Workspace()
    srv = b = None
    try:
        photos = ws.photo_collection()
        dicom = ws.dicom_collection()
        args = ["-C", photos] + (["-C", dicom] if dicom else [])
        srv = Server(ws, *args, "-l", "127.0.0.1:0")
        b = cdp.Browser(binary)
        b.viewport(1280, 900)
        search_flow(b, srv.url)
        detail_and_classify(b)
        upload(b, ws)
        phone_width(b, srv.url)
        if dicom:
            worklist(b, srv.url, 1)
            all_collections(b, srv.url, 1)
        else:
            print("note: no DICOM collection (no GDCM module): worklist not tested")
        token_flow(b, ws, photos)
        print("browser test passed")
    finally:
        if b:
            b.close()
        if srv:
            rc = srv.stop()
            if rc != 0:
                print(srv.stderr())
                raise AssertionError("serve exited %s on SIGTERM" % rc)
        ws.cleanup()


if __name__ == "__main__":
    main()
