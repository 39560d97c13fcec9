import Foundation

/// A source: a pseudonymous alias for a person, never their name. Stored encrypted (SECURITY.md §6.3).
public struct Source: Sendable, Equatable {
    public var id: String
    public var alias: String
    public var note: String?
    public var created: String
    /// The disclosure guard's threshold (§6.11); nil: ``Vault/defaultDisclosureThreshold``.
    public var disclosureThreshold: Int? = nil
}

/// The encrypted metadata of one record version (SECURITY.md §6.4). Field names are part of the format.
public struct RecordMetadata: Codable, Sendable, Equatable {
    /// Source id (not the alias) this testimony came from.
    public var source: String
    public var title: String
    public var tags: [String]
    /// Date of the interview, `YYYY-MM-DD`, if given.
    public var date: String?
    /// When the record was first added (UTC, ISO 8601).
    public var created: String
    /// When this version was written (UTC, ISO 8601).
    public var versionCreated: String
    /// `add --retain-until`: the record is shredded on the first unlock after this day.
    public var retainUntil: String?
    /// `receive`: where the testimony came from (SECURITY.md §6.4, §13.4): `age` for a plain age
    /// file, or `sourcevault record=ID version=N lines=A-B format=F sender=age1…` for a file made by
    /// another vault's `share` (the sender's claim, not a signature).
    public var received: String? = nil
}

extension RecordMetadata {
    /// From a decoded JSON object (SECURITY.md §6.4); nil if a required key is missing or mistyped.
    public init?(json o: [String: Any]) {
        guard let source = o["source"] as? String, let title = o["title"] as? String, let tags = o["tags"] as? [String],
            let created = o["created"] as? String, let versionCreated = o["versionCreated"] as? String
        else { return nil }
        let date = o["date"] as? String
        let retain = o["retainUntil"] as? String
        let received = o["received"] as? String
        if o["date"] != nil && !(o["date"] is NSNull) && date == nil { return nil }
        if o["retainUntil"] != nil && !(o["retainUntil"] is NSNull) && retain == nil { return nil }
        if o["received"] != nil && !(o["received"] is NSNull) && received == nil { return nil }
        self.init(
            source: source, title: title, tags: tags, date: date, created: created, versionCreated: versionCreated,
            retainUntil: retain, received: received)
    }
}

/// What `list` and `search` show of a record: its latest version's metadata.
/// What a streamed `list` or `search` returns once every record was handed out: how many were
/// shown, and the problems (damaged records, differences from the manifest) to report after them.
public struct WalkOutcome: Sendable {
    public var count: Int
    public var problems: [VaultError]
}

/// Thrown inside a walk to end it early (a `--limit` reached); never leaves the vault.
struct WalkStopped: Error {}

public struct RecordSummary: Sendable, Equatable {
    public var id: String
    public var version: Int
    public var metadata: RecordMetadata
    /// Alias of the source, or nil if the source entry could not be read.
    public var sourceAlias: String?
    /// `search` only: the testimony line of the first hit, cut around it (nil for a hit in the
    /// title, tags or alias, or one across a line break).
    public var snippet: String? = nil
}

/// One version of a record, decrypted.
public struct RecordDetail: Sendable {
    public var summary: RecordSummary
    public var versionCount: Int
    public var body: String
    /// Damaged source entries that kept the source alias from being shown.
    public var problems: [VaultError] = []
}

/// New testimony to add.
public struct NewRecord: Sendable {
    public var sourceAlias: String
    public var title: String
    public var tags: [String]
    public var date: String?
    public var body: String
    public var retainUntil: String?
    /// `receive` sets it (``RecordMetadata/received``).
    public var received: String? = nil

    public init(
        sourceAlias: String, title: String, tags: [String] = [], date: String? = nil, body: String, retainUntil: String? = nil
    ) {
        (self.sourceAlias, self.title, self.tags, self.date, self.body) = (sourceAlias, title, tags, date, body)
        self.retainUntil = retainUntil
    }
}

extension NewRecord {
    /// `import`: a record from one text file. Its title is the file's first line, or the file name
    /// without its extension when that line is empty, longer than 200 bytes or holds a control
    /// character. Nil for text that is empty or only white space (the file is skipped).
    /// Checks a `--date` or `--retain-until` value before anything is unlocked (the same check
    /// `addRecord` makes).
    public static func checkDate(_ value: String) throws(VaultError) { _ = try Validation.date(value) }

    public static func imported(text: String, fileName: String, sourceAlias: String, tags: [String]) -> NewRecord? {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        let firstLine = text.split(separator: "\n", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let unusable =
            firstLine.isEmpty || firstLine.utf8.count > 200
            || firstLine.unicodeScalars.contains { $0.properties.generalCategory == .control }
        let title = unusable ? (fileName as NSString).deletingPathExtension : firstLine
        return NewRecord(sourceAlias: sourceAlias, title: title, tags: tags, body: text)
    }
}
