import Foundation

/// The JSON coding of every file netautopsy reads or writes (reports, batch records, the collector
/// manifest, the redaction marker and mapping): snake_case keys in the file, camelCase in Swift.
public enum SnakeCaseJSON {
    /// An encoder to snake_case keys; sorted keys keep the output stable for diffs.
    public static func encoder(_ formatting: JSONEncoder.OutputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = formatting
        return encoder
    }

    /// A decoder from snake_case keys.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
