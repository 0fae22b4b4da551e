"""Writes a benchmark's figures into a document, between its "<!-- NAME:begin -->" and
"<!-- NAME:end -->" markers; when the markers are missing they are added at the end under
`heading` (a missing document is created). Used by bench/run.sh, batch.sh and redact.sh."""
import os


def put(doc, name, lines, heading=None):
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = open(doc).read() if os.path.exists(doc) else ""
    if begin not in text:
        text += (f"\n## {heading}\n\n" if heading else "") + f"{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    with open(doc, "w") as out:
        out.write(head + begin + "\n" + "\n".join(lines) + "\n" + end + rest.split(end, 1)[1])
    print("\n".join(lines))
