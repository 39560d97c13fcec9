import ArgumentParser
import Publishing
import VaultCore

/// An option whose value is one of a fixed set of words (`--kdf moderate`, `--format json`),
/// parsed by ArgumentParser straight into the library's enum.
protocol ChoiceArgument: ExpressibleByArgument, CaseIterable, RawRepresentable, Sendable
where RawValue == String {
    /// The option that takes it, as typed (`--kdf`).
    static var option: String { get }
    /// The one line on stderr for a value that is none of the words (the value is not repeated).
    static var invalidValueMessage: String { get }
}

extension ChoiceArgument {
    /// The words, in declaration order.
    static var words: [String] { allCases.map(\.rawValue) }

    // The options' help texts name the words in their own way: no "(values: …)" from
    // ArgumentParser, and completion stays as it was.
    public static var allValueStrings: [String] { [] }
    public static var defaultCompletionKind: CompletionKind { .default }
}

extension KDFProfile: ChoiceArgument {
    static var option: String { "--kdf" }
    static var invalidValueMessage: String { "\(option) must be one of: \(words.joined(separator: ", "))" }
}

extension ExportFormat: ChoiceArgument {
    static var option: String { "--format" }
    static var invalidValueMessage: String {
        "\(option) must be \(words.dropLast().joined(separator: ", ")) or \(words.last ?? "")"
    }
}

/// Every ``ChoiceArgument`` type the commands use.
enum ChoiceArguments {
    static let all: [any ChoiceArgument.Type] = [KDFProfile.self, ExportFormat.self, FactKind.self]

    /// The words of all of them (parse errors may quote these).
    static var words: Set<String> { Set(all.flatMap { $0.words }) }

    /// ArgumentParser says "The value 'VALUE' is invalid for '--kdf <PROFILE>'" (repeating the
    /// value); for one of these options the option's own line replaces it. Nil for anything else.
    static func message(forParseError message: String) -> String? {
        guard message.hasPrefix("The value '"),
            let invalid = message.range(of: "' is invalid for '", options: .backwards)
        else { return nil }
        let option = message[invalid.upperBound...].prefix { $0 != " " && $0 != "'" }
        return all.first { $0.option == option }?.invalidValueMessage
    }
}
