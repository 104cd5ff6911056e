#!/usr/bin/env python3
"""Builds a Hugo site with the same pages auditbook renders for a workspace.

One page per policy (its markdown body), per evidence file (path, size,
sha256 and the first 200 lines as a code block, as auditbook's evidence
page shows) and per control, plus list pages, so that `hugo` and
`auditbook build` render comparable work. With `--raw`, every evidence
file is also put in the site's `static/raw/`, which Hugo copies to
`public/raw/` as auditbook writes its redacted copies. Usage:

    make_site.py WORKSPACE OUT [--raw]
"""
import hashlib
import os
import sys

workspace, out = sys.argv[1], sys.argv[2]
raw = "--raw" in sys.argv[3:]
content = os.path.join(out, "content")
layouts = os.path.join(out, "layouts", "_default")
os.makedirs(layouts, exist_ok=True)
with open(os.path.join(out, "config.toml"), "w") as f:
    f.write('baseURL = "/"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
            'relativeURLs = true\n[markup.goldmark.renderer]\nunsafe = false\n')
with open(os.path.join(layouts, "baseof.html"), "w") as f:
    f.write('<!doctype html><html><head><meta charset="utf-8"><title>{{ .Title }}</title>'
            '<link rel="stylesheet" href="/style.css"></head><body><header><nav>'
            '<a href="/">Dashboard</a> <a href="/policies/">Policies</a> <a href="/evidence/">Evidence</a>'
            '</nav></header><main>{{ block "main" . }}{{ end }}</main><footer>{{ .Date }}</footer></body></html>\n')
with open(os.path.join(layouts, "single.html"), "w") as f:
    f.write('{{ define "main" }}<h1>{{ .Title }}</h1><dl>{{ range $k, $v := .Params }}<dt>{{ $k }}</dt>'
            '<dd>{{ $v }}</dd>{{ end }}</dl><article>{{ .Content }}</article>{{ end }}\n')
with open(os.path.join(layouts, "list.html"), "w") as f:
    f.write('{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">'
            '{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n')


def write(path, front, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("---\n")
        for key, value in front.items():
            f.write(f'{key}: "{str(value).replace(chr(34), chr(39))}"\n')
        f.write("---\n")
        f.write(body)


pages = 0
policies = os.path.join(workspace, "policies")
for dirpath, _, files in os.walk(policies):
    for name in sorted(files):
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(dirpath, name), encoding="utf-8").read()
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        rel = os.path.relpath(os.path.join(dirpath, name), policies)
        write(os.path.join(content, "policies", rel), {"title": rel[:-3]}, body)
        pages += 1

evidence = os.path.join(workspace, "evidence")
for dirpath, _, files in os.walk(evidence):
    for name in sorted(files):
        if name.endswith(".meta.yaml"):
            continue
        path = os.path.join(dirpath, name)
        data = open(path, "rb").read()
        head = data[:32768]
        preview = "" if b"\0" in head else "\n".join(head.decode("utf-8", "replace").splitlines()[:200])
        rel = os.path.relpath(path, evidence)
        front = {"title": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        body = "```\n" + preview.replace("```", "'''") + "\n```\n"
        write(os.path.join(content, "evidence", rel + ".md"), front, body)
        pages += 1
        if raw:
            copy = os.path.join(out, "static", "raw", rel)
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            with open(copy, "wb") as f:
                f.write(data)

for i in range(164):
    write(os.path.join(content, "controls", f"control-{i}.md"), {"title": f"Control {i}"},
          "What an auditor looks for.\n\n" + "".join(f"- evidence item {j}\n" for j in range(300)))
    pages += 1
print(f"{pages} content pages in {out}")
