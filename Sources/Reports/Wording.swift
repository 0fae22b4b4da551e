import Diagnosis

extension Evidence {
    /// The evidence as one sentence, for any markup: `text` makes untrusted text safe, `code` makes
    /// it a safe code span (Markdown and HTML each pass their own).
    func sentence(text: (String) -> String, code: (String) -> String) -> String {
        var s = text(note)
        switch kind {
        case .packets:
            if let file { s += " File \(code(file))" }
            if let frames, !frames.isEmpty {
                let shown = frames.prefix(12).map(String.init).joined(separator: ", ")
                s += ", frame\(frames.count == 1 ? "" : "s") \(shown)\(frames.count > 12 ? " … (\(frames.count))" : "")"
            }
            if let first = times?.first, let first { s += " (first at \(text(first.rfc3339)))" }
            if let displayFilter { s += ". Filter: \(code(displayFilter))" }
        case .line:
            s += " \(code("\(file ?? "?"):\(line ?? 0)")): \(code(self.text ?? ""))"
        case .value:
            if let file { s += " (\(code(file)))" }
            s += " \(code(self.text ?? ""))"
        }
        return s
    }
}

extension TimelineEvent {
    /// Where the moment is recorded: the file with its line or frame (unescaped).
    var place: String {
        var at = file ?? ""
        if let line { at += ":\(line)" } else if let frame { at += " frame \(frame)" }
        return at
    }
}
