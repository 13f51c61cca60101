# A page that a browser loads with sockets it never uses: the test of a server's loop.
#
# `/` is an HTML page served from one loopback name of the server (say 127.0.0.1). Its head
# tells the browser to preconnect to the server's *other* loopback name (localhost), and its
# body loads a few images from that other name, with crossorigin="anonymous". `/img/N.svg` is a
# tiny picture that any origin may read (`Access-Control-Allow-Origin: *`).
#
# Why this exercises idle connections. To a browser, http://127.0.0.1:8888 and
# http://localhost:8888 are two origins, even though they reach the same server. And a browser
# keeps its open sockets in pools, one per origin and per kind of request: a credentialed
# request (cookies may go along) never travels on a socket opened for anonymous ones
# (crossorigin="anonymous": no cookies), nor the other way round. Chromium's network log
# (chromium --log-net-log=FILE) shows what it does with this page:
#
#   - While it navigates to the page, Chromium opens one or two more connections to the
#     page's own origin, on speculation: pages usually load their images and scripts from
#     where they came from. These are credentialed sockets for http://127.0.0.1:8888, and this
#     page asks for nothing more there (the favicon comes last), so they stay silent.
#   - <link rel="preconnect" crossorigin> opens anonymous sockets to the other origin, before
#     the browser knows what it will fetch there: the images use them, as they should.
#   - <link rel="preconnect"> without crossorigin opens a credentialed socket there, which the
#     anonymous images may not use. It is a classic mistake on real sites (a web font is
#     always fetched anonymously, so its preconnect needs crossorigin), kept here on purpose:
#     one more socket that connects and sends nothing.
#
# A server that serves one connection at a time, blocking until that connection's request has
# come in, serves the page, then accepts one of those silent sockets and waits on it for its
# whole --timeout (60 s by default) while the images' requests queue behind it: the page takes
# a minute or more to load. A server that waits for whichever connection has bytes first
# (poll(2)) loads it at once. tests/browser.rs loads this page in headless Chromium and times
# it.
#
# When the images are in, the window's load event fires: the page sets its title to "loaded"
# and writes into the page how long the load took, as the browser measured it, and how many
# images it shows (an image the browser refused, for want of the CORS header, is not shown).
#
#   cargo run --release -- apps/preconnect.py
#   open http://127.0.0.1:8888/ in a browser (or http://localhost:8888/: the page swaps them)
#
# The other name is made from the Host header, keeping its port: 127.0.0.1:8888 gives
# localhost:8888 and the other way round. Any other host (a LAN address, say) has no second
# name known to the app, so the images come from that same host: the page still loads, but
# without the cross-origin sockets.

import re

# The two names of the loopback interface, each mapped to the other.
OTHER_NAME = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}

# How many images the page loads: as many as Chromium opens connections to one host at once.
IMAGES = 6

# One image: a coloured square with its number. SVG is text, so the app needs no image library.
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<rect width="40" height="40" fill="hsl({hue},60%,60%)"/>'
    '<text x="20" y="26" font-size="16" text-anchor="middle">{n}</text>'
    "</svg>"
)

PAGE = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>loading</title>
<!-- For the anonymous images: the sockets they will use. -->
<link rel="preconnect" href="{other}" crossorigin>
<!-- The classic mistake: a credentialed socket, which the anonymous images may not use. -->
<link rel="preconnect" href="{other}">
</head>
<body>
<h1>Preconnect to another origin</h1>
<p>This page came from {here}; the images below come from {other}, the same server under its
other name.</p>
<p>{images}</p>
<p id="status">Waiting for the images...</p>
<script>
// The load event fires once every image has arrived or failed. An image refused by the
// browser (no Access-Control-Allow-Origin) counts as failed: it has no width.
window.addEventListener("load", function () {{
  var ms = Math.round(performance.now());
  var images = document.images;
  var shown = 0;
  for (var i = 0; i < images.length; i++) {{
    if (images[i].naturalWidth > 0) shown++;
  }}
  document.title = "loaded";
  document.getElementById("status").textContent =
    "loaded in " + ms + " ms: " + shown + " of " + images.length + " images shown";
}});
</script>
</body>
</html>
"""


def host_and_port(environ):
    """The host name and port the client asked for, from Host (or, without it, the server's)."""
    host = environ.get("HTTP_HOST")
    if not host:
        return environ["SERVER_NAME"], environ["SERVER_PORT"]
    name, colon, port = host.rpartition(":")
    if not colon or "]" in port:
        # No port in the header (or the colon was inside an IPv6 address).
        return host, ""
    return name, port


def page(environ, start_response):
    """The HTML page: two preconnects to the other origin, then images from it."""
    name, port = host_and_port(environ)
    suffix = ":" + port if port else ""
    here = "http://" + name + suffix
    other = "http://" + OTHER_NAME.get(name, name) + suffix
    tag = '<img crossorigin="anonymous" width="40" height="40" alt="{n}" src="{other}/img/{n}.svg">'
    images = "\n".join(tag.format(n=n, other=other) for n in range(1, IMAGES + 1))
    body = PAGE.format(here=here, other=other, images=images).encode("utf-8")
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            # Every load is a real one: no copy of the page kept between two runs.
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def image(n, start_response):
    """Image number n, readable from any origin (the page that shows it is on the other one)."""
    body = SVG.format(n=n, hue=(n * 55) % 360).encode("ascii")
    start_response(
        "200 OK",
        [
            ("Content-Type", "image/svg+xml"),
            ("Content-Length", str(len(body))),
            # crossorigin="anonymous" makes this a CORS request: without this header the
            # browser would refuse the image and the load event would fire on a broken page.
            ("Access-Control-Allow-Origin", "*"),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def application(environ, start_response):
    """Route: `/` is the page, `/img/N.svg` an image, anything else 404."""
    path = environ.get("PATH_INFO", "")
    if path == "/":
        return page(environ, start_response)
    match = re.fullmatch(r"/img/([0-9]{1,3})\.svg", path)
    if match:
        return image(int(match.group(1)), start_response)
    start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"not found: try / for the page\n"]
