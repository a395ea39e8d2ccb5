#!/usr/bin/env python3
"""Turns a `tmux capture-pane -e -p` capture into an HTML page (to look at
the station's screens in a browser, or screenshot them with chromium).
Usage: ansi_to_html.py CAPTURE.ansi WIDTH > page.html"""
import html, re, sys

BASE = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
        "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]

def colour(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)

def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    width = int(sys.argv[2])
    state = {"fg": None, "bg": None, "bold": False, "rev": False}
    out = []
    for line in text.rstrip("\n").split("\n"):
        cells = 0
        row = []
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            if part.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in part[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0: state.update(fg=None, bg=None, bold=False, rev=False)
                    elif c == 1: state["bold"] = True
                    elif c == 22: state["bold"] = False
                    elif c == 7: state["rev"] = True
                    elif c == 27: state["rev"] = False
                    elif 30 <= c <= 37: state["fg"] = colour(c - 30)
                    elif 90 <= c <= 97: state["fg"] = colour(c - 90 + 8)
                    elif 40 <= c <= 47: state["bg"] = colour(c - 40)
                    elif 100 <= c <= 107: state["bg"] = colour(c - 100 + 8)
                    elif c == 39: state["fg"] = None
                    elif c == 49: state["bg"] = None
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        state["fg" if c == 38 else "bg"] = colour(codes[i + 2]); i += 2
                    i += 1
                continue
            if part:
                row.append(span(part, state)); cells += len(part)
        if cells < width:
            row.append(span(" " * (width - cells), state))
        out.append("".join(row))
    print("<!doctype html><meta charset=utf-8><style>body{margin:0;background:#000}"
          "pre{margin:0;font:18px/1.15 'DejaVu Sans Mono',monospace;color:#e5e5e5}</style><pre>"
          + "\n".join(out) + "</pre>")

def span(text, s):
    fg, bg = s["fg"] or "#e5e5e5", s["bg"] or "#000000"
    if s["rev"]:
        fg, bg = bg, fg
    weight = "font-weight:bold;" if s["bold"] else ""
    return '<span style="color:%s;background:%s;%s">%s</span>' % (fg, bg, weight, html.escape(text))

main()
