/// Escaping for untrusted text (file names, log lines, DNS names) in Markdown.
public enum Markdown {
    /// One node's document inside a cluster document: a rule, `## Node NAME`, then the document
    /// with every heading one level down (its `#` title becomes `##`).
    static func nodeSection(_ name: String, _ document: String) -> String {
        "\n---\n\n## Node \(inline(name))\n" + ("\n" + document)
            .replacingOccurrences(of: "\n## ", with: "\n### ").replacingOccurrences(of: "\n# ", with: "\n## ")
    }

    /// Text safe inside a table cell: `|` escaped, line breaks flattened, so a cell stays one cell.
    public static func cell(_ s: String) -> String {
        var out = ""
        for c in inline(s) {
            if c == "|" { out += "\\|" } else { out.append(c) }
        }
        return out
    }

    /// Text safe inline: Markdown and HTML metacharacters escaped, line breaks flattened.
    public static func inline(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#", "!": out += "\\\(c)"
            case "\n", "\r", "\r\n": out += " "
            default: out.append(c)
            }
        }
        return out
    }

    /// A code span inside a table cell: a `|` in it would still end the cell (GFM), so it is escaped.
    public static func cellCode(_ s: String) -> String {
        code(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// A code span that holds any text: fenced with more backticks than the text contains.
    public static func code(_ s: String) -> String {
        let flat = s.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : String($0) }.joined()
        var longest = 0, run = 0
        for c in flat { run = c == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") || flat.isEmpty ? " " : ""
        return fence + pad + flat + pad + fence
    }
}
