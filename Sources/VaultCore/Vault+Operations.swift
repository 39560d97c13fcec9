import Foundation
import SodiumKit

/// JSON stored in a sealed source entry (SECURITY.md §6.3).
struct SourcePayload: Codable {
    var alias: String
    var note: String?
    var created: String
    /// `source set --disclosure-threshold` (format 4, §6.11); absent: the default.
    var disclosureThreshold: Int? = nil
}

extension Vault {
    // MARK: - Sources

    /// Adds a source. Aliases are unique, compared case- and accent-insensitively.
    public func addSource(alias rawAlias: String, note: String? = nil) throws(VaultError) -> Source {
        try audited("source-add", values: ["alias": Array(rawAlias.utf8)], after: { ["source": $0.id] }) {
            () throws(VaultError) -> Source in
            try self.insertSource(alias: rawAlias, note: note)
        }
    }

    /// `source rename`: the same source (its id, so its records keep it) under a new alias, sealed
    /// again in place. The old alias is gone from the file, up to the copies SECURITY.md §1.2 lists.
    public func renameSource(alias rawAlias: String, to rawNew: String) throws(VaultError) -> Source {
        try audited(
            "source-rename", values: ["alias": Array(rawAlias.utf8), "new-alias": Array(rawNew.utf8)],
            after: { ["source": $0.id] }
        ) { () throws(VaultError) -> Source in
            let old = try self.source(alias: rawAlias)
            let alias = try Validation.singleLine(rawNew, what: "source alias")
            let folded = TextFolding.fold(alias)
            for s in self.sourcesChecked().sources where s.id != old.id && TextFolding.fold(s.alias) == folded {
                throw .duplicateSource
            }
            let payload = SourcePayload(alias: alias, note: old.note, created: old.created)
            let row = SealedItemRow(id: old.id, sealed: try self.keyring.seal(.source, try Self.encodeJSON(payload), id: old.id))
            let replaced = try self.writing({ _ in }) { (m) throws(VaultError) -> Bool in
                try self.store.replaceItem(.source, row, manifest: m)
            }
            guard replaced else { throw .noSuchSource }
            return Source(id: old.id, alias: alias, note: old.note, created: old.created)
        }
    }

    /// How many records name this source (latest versions), for `source rm`'s refusal and question.
    /// Not audited on its own: `source rm` logs the removal or its refusal.
    package func recordCount(sourceAlias alias: String) throws(VaultError) -> Int {
        let id = try source(alias: alias).id
        var n = 0
        var problems: [VaultError] = []
        _ = try iterate(includeBody: false) { row, version, key in
            if try self.metadata(row.meta, version: version, key: key, recordID: row.recordID).source == id { n += 1 }
        } problem: {
            problems.append($0)
        }
        // A record we cannot read might name it: refuse rather than orphan it.
        if let damaged = problems.first { throw damaged }
        return n
    }

    /// `source rm`: deletes a source no record names (refused with the count otherwise), or, with
    /// `reassignTo`, first gives each record naming it a new version naming that other source (one
    /// write per record: after a crash, running it again finishes the job).
    public func removeSource(alias: String, reassignTo: String? = nil) throws(VaultError) -> (source: String, reassigned: Int) {
        try audited(
            "source-rm", values: ["alias": Array(alias.utf8)],
            after: { ["source": $0.source, "reassigned": String($0.reassigned)] }
        ) { () throws(VaultError) -> (source: String, reassigned: Int) in
            let source = try self.source(alias: alias)
            var moved = 0
            if let reassignTo {
                let target = try self.source(alias: reassignTo)
                guard target.id != source.id else { throw .invalidInput("--reassign names the source being removed") }
                var ids: [String] = []
                var problems: [VaultError] = []
                _ = try self.iterate(includeBody: false) { row, version, key in
                    if try self.metadata(row.meta, version: version, key: key, recordID: row.recordID).source == source.id {
                        ids.append(row.recordID)
                    }
                } problem: {
                    problems.append($0)
                }
                if let damaged = problems.first { throw damaged }
                for id in ids { _ = try self.appendVersion(id, body: nil) { $0.source = target.id } }
                moved = ids.count
            }
            let used = try self.recordCount(sourceAlias: alias)
            guard used == 0 else {
                throw .invalidInput(
                    "\(used) record\(used == 1 ? " names" : "s name") this source; delete them, move them with --reassign ALIAS, or rename the source instead"
                )
            }
            _ = try self.writing({ _ = $0.items[.source]?.remove(source.id) }) { (m) throws(VaultError) -> Bool in
                try self.store.deleteItem(.source, id: source.id, manifest: m)
            }
            return (source.id, moved)
        }
    }

    /// `source list`: every source, audited.
    public func listSources() throws(VaultError) -> (sources: [Source], problems: [VaultError]) {
        try audited("source-list", after: { ["count": String($0.sources.count)] }) {
            () throws(VaultError) -> ([Source], [VaultError]) in
            self.sourcesChecked()
        }
    }

    private func insertSource(alias rawAlias: String, note: String?) throws(VaultError) -> Source {
        let alias = try Validation.singleLine(rawAlias, what: "source alias")
        let folded = TextFolding.fold(alias)
        let known = sourcesChecked()
        // Uniqueness cannot be checked against a source entry we cannot read.
        if let damaged = known.problems.first { throw damaged }
        for s in known.sources where TextFolding.fold(s.alias) == folded { throw .duplicateSource }
        let payload = SourcePayload(alias: alias, note: note.flatMap { $0.isEmpty ? nil : $0 }, created: Self.timestamp())
        let id = try insertItem(.source, payload)
        return Source(id: id, alias: payload.alias, note: payload.note, created: payload.created)
    }

    /// Every source, decrypted. A damaged entry throws ``VaultError/sourceIntegrity(sourceID:)``.
    package func sources() throws(VaultError) -> [Source] {
        let r = sourcesChecked()
        if let damaged = r.problems.first { throw damaged }
        return r.sources
    }

    /// Every readable source, and an integrity error for each damaged one.
    package func sourcesChecked() -> (sources: [Source], problems: [VaultError]) {
        let r = itemsChecked(.source, as: SourcePayload.self)
        return (
            r.items.map {
                Source(
                    id: $0.id, alias: $0.value.alias, note: $0.value.note, created: $0.value.created,
                    disclosureThreshold: $0.value.disclosureThreshold)
            }, r.problems
        )
    }

    /// The source with this alias (case- and accent-insensitive). If it is not among the readable
    /// sources and some are damaged, the damage is reported rather than "no such source".
    package func source(alias: String) throws(VaultError) -> Source {
        let folded = TextFolding.fold(alias.trimmingCharacters(in: .whitespacesAndNewlines))
        let known = sourcesChecked()
        if let s = known.sources.first(where: { TextFolding.fold($0.alias) == folded }) { return s }
        if let damaged = known.problems.first { throw damaged }
        throw .noSuchSource
    }

    /// `add` checks the alias right after the unlock, before the testimony is pasted: a miss is
    /// logged as the failed `add` it would have been.
    public func checkSourceForAdd(alias: String) throws(VaultError) {
        do {
            _ = try source(alias: alias)
        } catch {
            try? audit(AuditEvent("add", outcome: .failure(error)))
            throw error
        }
    }

    // MARK: - Records

    /// Adds a record with its first version; returns the new record id.
    public func addRecord(_ new: NewRecord) throws(VaultError) -> String {
        try audited("add", values: ["title": Array(new.title.utf8)], after: { ["record": $0] }) {
            () throws(VaultError) -> String in
            try self.insertRecord(new)
        }
    }

    /// `import`: many records in one transaction (all or nothing). `next` returns the records one
    /// at a time (nil at the end); `progress` is told after each. Returns the new ids.
    public func importRecords(_ next: () throws -> NewRecord?, progress: (Int) -> Void = { _ in }) throws(VaultError) -> [String]
    {
        try audited("import", after: { ["count": String($0.count)] }) { () throws(VaultError) -> [String] in
            var ids: [String] = []
            var retained: [String: String] = [:]
            // Sources are read before the write transaction (the store is not reentrant).
            let known = self.sourcesChecked()
            try self.insertRecordsWithManifest { insert in
                while let new = try next() {
                    let folded = TextFolding.fold(new.sourceAlias.trimmingCharacters(in: .whitespacesAndNewlines))
                    guard let source = known.sources.first(where: { TextFolding.fold($0.alias) == folded }) else {
                        throw known.problems.first ?? VaultError.noSuchSource
                    }
                    let (row, retain, meta) = try self.sealNewRecord(new, source: source)
                    try insert(row, meta)
                    ids.append(row.recordID)
                    if let retain { retained[row.recordID] = retain }
                    progress(ids.count)
                }
            }
            if !retained.isEmpty {
                var index = try self.retentionIndex()
                index.merge(retained) { $1 }
                try self.saveRetentionIndex(index)
            }
            return ids
        }
    }

    /// Validates and seals a new record (first version); nothing is stored.
    /// Also returns the metadata it sealed (a summary page entry, §6.12).
    func sealNewRecord(_ new: NewRecord, source known: Source? = nil) throws(VaultError) -> (
        SealedRecordRow, String?, RecordMetadata
    ) {
        let source: Source
        if let known { source = known } else { source = try self.source(alias: new.sourceAlias) }
        let title = try Validation.singleLine(new.title, what: "title")
        let tags = try new.tags.map { (t) throws(VaultError) -> String in try Validation.singleLine(t, what: "tag") }
        let date = try new.date.map { (d) throws(VaultError) -> String in try Validation.date(d) }
        try Validation.body(new.body)
        let now = Self.timestamp()
        let retain = try new.retainUntil.map { (d) throws(VaultError) -> String in try Validation.date(d) }
        // A day already past would shred the record at the next unlock: most likely a typo.
        if let retain, retain < String(now.prefix(10)) {
            throw .invalidInput("--retain-until is in the past; the record would be shredded at the next unlock")
        }
        let meta = RecordMetadata(
            source: source.id, title: title, tags: tags, date: date, created: now, versionCreated: now,
            retainUntil: retain, received: new.received)
        let id = try Self.newObjectID()
        let metaJSON = try Self.encodeJSON(meta)
        let row = try withNewRecordKey { (key) throws(VaultError) -> SealedRecordRow in
            SealedRecordRow(
                recordID: id,
                wrappedKey: try wrapRecordKey(key, recordID: id),
                versions: [
                    SealedVersionRow(
                        version: 1,
                        meta: try sealField(metaJSON, key: key, recordID: id, version: 1, field: .recordMeta),
                        body: try sealField(Array(new.body.utf8), key: key, recordID: id, version: 1, field: .recordBody))
                ])
        }
        return (row, retain, meta)
    }

    func insertRecord(_ new: NewRecord) throws(VaultError) -> String {
        let (row, retain, meta) = try sealNewRecord(new)
        let id = row.recordID
        let box = PageWrite()
        box.pending = [SummaryPage.Entry(recordID: id, version: row.versions.count, meta: meta)]
        try writingRecords(.add, box, manifest: { $0.records[id] = row.versions.count }) {
            (pages, m) throws(VaultError) -> Void in
            try store.insertRecord(row, pages: pages, manifest: m)
        }
        if let retain {
            // A crash between these two writes leaves the record unindexed; `retention apply`
            // (a full scan) rebuilds the index.
            var index = try retentionIndex()
            index[id] = retain
            try saveRetentionIndex(index)
        }
        return id
    }

    /// Adds a new version with a new body; earlier versions are kept. Returns the new version number.
    public func amend(_ idOrPrefix: String, body: String) throws(VaultError) -> (recordID: String, version: Int) {
        try audited("amend", after: { ["record": $0.recordID, "version": String($0.version)] }) {
            () throws(VaultError) -> (recordID: String, version: Int) in
            try self.appendVersion(idOrPrefix, body: body)
        }
    }

    /// What `edit` changes: nil leaves a field as it is.
    public struct MetadataEdit: Sendable {
        public var title: String?
        public var tags: [String]?
        /// `.some(nil)` removes the date.
        public var date: String??

        public init(title: String? = nil, tags: [String]? = nil, date: String?? = nil) {
            self.title = title; self.tags = tags; self.date = date
        }
    }

    /// `edit`: a new version with the latest testimony and changed title, tags or date; earlier
    /// versions are kept, as with `amend` (SECURITY.md §6.4). Returns the new version number.
    public func editMetadata(_ idOrPrefix: String, _ edit: MetadataEdit) throws(VaultError) -> (recordID: String, version: Int) {
        try audited(
            "edit", values: edit.title.map { ["title": Array($0.utf8)] } ?? [:],
            after: { ["record": $0.recordID, "version": String($0.version)] }
        ) { () throws(VaultError) -> (recordID: String, version: Int) in
            let title = try edit.title.map { (t) throws(VaultError) -> String in try Validation.singleLine(t, what: "title") }
            let tags = try edit.tags.map { (list) throws(VaultError) -> [String] in
                try list.map { (t) throws(VaultError) -> String in try Validation.singleLine(t, what: "tag") }
            }
            let date = try edit.date.map { (d) throws(VaultError) -> String? in
                try d.map { (x) throws(VaultError) -> String in try Validation.date(x) }
            }
            guard title != nil || tags != nil || date != nil else {
                throw .invalidInput("nothing to change: give --title, --tag, --no-tags, --date or --no-date")
            }
            return try self.appendVersion(idOrPrefix, body: nil) { meta in
                if let title { meta.title = title }
                if let tags { meta.tags = tags }
                if let date { meta.date = date }
            }
        }
    }

    /// `diff ID V1 V2`: the two versions' testimony and metadata, decrypted in memory.
    public func versions(_ idOrPrefix: String, _ a: Int, _ b: Int) throws(VaultError) -> (RecordDetail, RecordDetail) {
        try audited(
            "diff", ids: ["from": String(a), "to": String(b)], after: { ["record": $0.0.summary.id] }
        ) { () throws(VaultError) -> (RecordDetail, RecordDetail) in
            (try self.readRecord(idOrPrefix, version: a), try self.readRecord(idOrPrefix, version: b))
        }
    }

    private func appendVersion(
        _ idOrPrefix: String, body newBody: String?, change: (inout RecordMetadata) -> Void = { _ in }
    ) throws(VaultError) -> (recordID: String, version: Int) {
        if let newBody { try Validation.body(newBody) }
        let id = try resolveRecordID(idOrPrefix)
        guard let row = try store.record(id) else { throw .noSuchRecord(prefix: idOrPrefix) }
        guard let latest = row.versions.last, row.versions.map(\.version) == Array(1...row.versions.count) else {
            throw .recordIntegrity(recordID: id)
        }
        let key = try recordKey(row)
        var meta = try metadata(latest, key: key, recordID: id)
        meta.versionCreated = Self.timestamp()
        change(&meta)
        // `edit` keeps the latest testimony: opened and sealed again under the new version's
        // associated data (SecureBytes, never a String).
        let bodyBytes: [UInt8]
        if let newBody {
            bodyBytes = Array(newBody.utf8)
        } else {
            let opened = try openField(latest.body, key: key, recordID: id, version: latest.version, field: .recordBody)
            bodyBytes = opened.withUnsafeBytes { Array($0) }
        }
        let v = latest.version + 1
        let metaJSON = try Self.encodeJSON(meta)
        // The rows read above must be the ones the manifest lists (an unlock checks counts only).
        try writingRecords(
            .replace(recordID: id, version: v, meta: meta),
            manifest: {
                try $0.requireRecord(id, versions: latest.version)
                $0.records[id] = v
            }
        ) { (pages, m) throws(VaultError) -> Void in
            try store.appendVersion(
                recordID: id,
                SealedVersionRow(
                    version: v,
                    meta: try sealField(metaJSON, key: key, recordID: id, version: v, field: .recordMeta),
                    body: try sealField(bodyBytes, key: key, recordID: id, version: v, field: .recordBody)), pages: pages,
                manifest: m)
        }
        return (id, v)
    }

    /// Resolves a full id or a unique prefix of at least 4 hex characters.
    public func resolveRecordID(_ idOrPrefix: String) throws(VaultError) -> String {
        let p = idOrPrefix.lowercased()
        guard p.count >= 4 else { throw .invalidInput("a record id needs at least 4 characters") }
        guard p.count <= VaultFormat.objectIDBytes * 2, p.allSatisfy(\.isHexDigit) else {
            throw .noSuchRecord(prefix: idOrPrefix)
        }
        let matches = try store.recordIDs(withPrefix: p, limit: 2)
        switch matches.count {
        case 0:
            // Not in the file but in the manifest: deleted without the key, not a typo (§6.8).
            if formatVersion >= 2, let m = try? currentManifest(),
                let gone = m.records.keys.sorted().first(where: { $0.hasPrefix(p) })
            {
                throw .vaultIntegrity("record \(gone) is missing (deleted from the file?)")
            }
            throw .noSuchRecord(prefix: idOrPrefix)
        case 1: return matches[0]
        default:
            let all = try store.recordIDs(withPrefix: p, limit: Int.max)
            throw .ambiguousRecordID(prefix: idOrPrefix, matches: all.count)
        }
    }

    /// One record for a layer that audits its own operation (redact, export, suggest) before it
    /// releases anything: not audited here, so not public.
    /// `whenSourceKnown` is called with the record's id and source once its metadata is open (and
    /// authentic), before its body is decrypted: the caller can start on the rules meanwhile.
    package func recordForPublishing(
        _ idOrPrefix: String, version: Int? = nil, whenSourceKnown: (_ recordID: String, _ sourceID: String) -> Void = { _, _ in }
    ) throws(VaultError) -> RecordDetail {
        try readRecord(idOrPrefix, version: version, whenSourceKnown: whenSourceKnown)
    }

    /// `show`: one record, decrypted (the latest version, or `version`), audited.
    public func record(_ idOrPrefix: String, version: Int? = nil) throws(VaultError) -> RecordDetail {
        try audited(
            "show", ids: version.map { ["version": String($0)] } ?? [:],
            after: { ["record": $0.summary.id, "version": String($0.summary.version)] }
        ) { () throws(VaultError) -> RecordDetail in
            try self.readRecord(idOrPrefix, version: version)
        }
    }

    private func readRecord(
        _ idOrPrefix: String, version: Int?, whenSourceKnown: (_ recordID: String, _ sourceID: String) -> Void = { _, _ in }
    ) throws(VaultError) -> RecordDetail {
        let id = try resolveRecordID(idOrPrefix)
        let (found, sealedManifest) = try store.recordWithManifest(id, bodyOf: version)
        guard let row = found else { throw .noSuchRecord(prefix: idOrPrefix) }
        // SECURITY.md §3: versions are 1...N without gaps; a missing one means rows were deleted.
        guard row.versions.map(\.version) == Array(1...max(row.versions.count, 1)) else {
            throw .recordIntegrity(recordID: id)
        }
        // And as many as the manifest lists: a deleted latest version is noticed too (§6.8).
        if formatVersion >= 2,
            try Self.withManifestView(sealedManifest, keyring: keyring, { $0.versions(of: id) }) != row.versions.count
        {
            let m = try Self.openManifest(sealedManifest, keyring: keyring)
            var got = m
            got.records[id] = row.versions.count
            throw .vaultIntegrity(m.differences(from: got).first ?? "record \(id) differs from the manifest")
        }
        let wanted: SealedVersionRow?
        if let version { wanted = row.versions.first { $0.version == version } } else { wanted = row.versions.last }
        guard let v = wanted else { throw .noSuchVersion(recordID: id, version: version ?? 0) }
        let key = try recordKey(row)
        let integrity = VaultError.recordIntegrity(recordID: id)
        let meta = try metadata(v, key: key, recordID: id)
        whenSourceKnown(id, meta.source)
        // Opened in a secure buffer of its own (freed here: the vault's reused one would keep the
        // largest record's size for the rest of the command) and validated from there: one copy
        // of the text (a padded copy and an unpadded one cost 20 ms per 10 MB).
        let buffer: SecureScratch
        do { buffer = try SecureScratch(capacity: max(v.body.count, 1)) } catch { throw .storage("secure memory unavailable") }
        let body: String
        do {
            body = try v.body.withUnsafeBytes { sealed in
                try withOpenedField(sealed, key: key, recordID: id, version: v.version, field: .recordBody, using: buffer) { p in
                    guard let s = String(validating: p.bindMemory(to: UInt8.self), as: UTF8.self) else { throw integrity }
                    return s
                }
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw integrity
        }
        let sources = sourcesChecked()
        let alias = sources.sources.first { $0.id == meta.source }?.alias
        return RecordDetail(
            summary: RecordSummary(id: id, version: v.version, metadata: meta, sourceAlias: alias),
            versionCount: row.versions.count, body: body,
            problems: alias == nil ? sources.problems : [])
    }

    /// Latest version of every record, optionally filtered by source alias and tag, in the order
    /// the records were added. Records that fail authentication are returned as problems; the rest
    /// are still listed.
    public func list(sourceAlias: String? = nil, tag: String? = nil) throws(VaultError) -> (
        records: [RecordSummary], problems: [VaultError]
    ) {
        var records: [RecordSummary] = []
        let outcome = try list(sourceAlias: sourceAlias, tag: tag) { records.append($0) }
        return (records, outcome.problems)
    }

    /// `list`, streamed: `each` is called with every record as soon as it is read (memory stays flat
    /// whatever the vault's size), in the order the records were added, skipping the first `offset`
    /// matching records and stopping after `limit`. Each record is checked against the manifest
    /// before it is shown (SECURITY.md §6.8).
    public func list(
        sourceAlias: String? = nil, tag: String? = nil, offset: Int = 0, limit: Int? = nil,
        _ each: (RecordSummary) -> Void
    ) throws(VaultError) -> WalkOutcome {
        var values: [String: [UInt8]] = [:]
        if let sourceAlias { values["alias"] = Array(sourceAlias.utf8) }
        if let tag { values["tag"] = Array(tag.utf8) }
        return try audited(
            "list", values: values, after: { ["count": String($0.count), "damaged": String($0.problems.count)] }
        ) { () throws(VaultError) -> WalkOutcome in
            let sourceID = try sourceAlias.map { (a) throws(VaultError) -> String in try self.source(alias: a).id }
            let tagFolded = tag.map { TextFolding.fold($0) }
            let (aliases, sourceProblems) = self.aliasMap()
            if self.formatVersion >= 5 {
                var outcome = try self.listFromPages(
                    sourceID: sourceID, tagFolded: tagFolded, offset: offset, limit: limit, aliases: aliases, each)
                outcome.problems = sourceProblems + outcome.problems
                return outcome
            }
            var matched = 0
            var shown = 0
            var outcome = try self.streamedWalk(includeBody: false, stopWhen: { limit.map { matched - offset >= $0 } ?? false }) {
                row in
                guard let version = row.version else { throw VaultError.recordIntegrity(recordID: row.recordID) }
                let meta = try self.withRecordKey(recordID: row.recordID, wrappedKey: row.wrappedKey) { key in
                    try self.metadata(row.meta, version: version, key: key, recordID: row.recordID)
                }
                if let sourceID, meta.source != sourceID { return }
                if let tagFolded, !meta.tags.contains(where: { TextFolding.fold($0) == tagFolded }) { return }
                matched += 1
                guard matched > offset else { return }
                each(RecordSummary(id: row.recordID, version: version, metadata: meta, sourceAlias: aliases[meta.source]))
                shown += 1
            }
            outcome.count = shown
            outcome.problems = sourceProblems + outcome.problems
            return outcome
        }
    }

    /// Records whose title, tags, source alias or latest testimony contain `query`, compared case-,
    /// accent- and width-insensitively, in the order the records were added. Records are decrypted
    /// one at a time; only the matching summaries are kept.
    public func search(_ query: String) throws(VaultError) -> (records: [RecordSummary], problems: [VaultError]) {
        var records: [RecordSummary] = []
        let outcome = try search(query) { records.append($0) }
        return (records, outcome.problems)
    }

    /// `search`, streamed: `each` is called with every matching record in the order the records
    /// were added (the parallel search hands its batches over in that order), at most `limit` of
    /// them; nothing is kept.
    public func search(_ query: String, limit: Int? = nil, _ each: (RecordSummary) -> Void) throws(VaultError)
        -> WalkOutcome
    {
        try audited(
            "search", values: ["query": Array(query.utf8)],
            after: { ["count": String($0.count), "damaged": String($0.problems.count)] }
        ) { () throws(VaultError) -> WalkOutcome in
            let threads = min(Self.searchThreads, ProcessInfo.processInfo.activeProcessorCount)
            var parallel = threads > 1
            if parallel { parallel = try self.store.recordCount() >= Self.parallelSearchThreshold }
            return try self.searchRecords(query, threads: parallel ? threads : 1, limit: limit, each)
        }
    }

    /// `threads` 1: on this thread with the vault's own buffers; more: `parallelSearch`. Both give
    /// the same result (tested).
    func searchRecords(_ query: String, threads: Int) throws(VaultError) -> (records: [RecordSummary], problems: [VaultError]) {
        var records: [RecordSummary] = []
        let outcome = try searchRecords(query, threads: threads, limit: nil) { records.append($0) }
        return (records, outcome.problems)
    }

    func searchRecords(_ query: String, threads: Int, limit: Int?, _ each: (RecordSummary) -> Void) throws(VaultError)
        -> WalkOutcome
    {
        let needle = TextFolding.fold(query.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !needle.isEmpty else { throw .invalidInput("the search query is empty") }
        let (aliases, sourceProblems) = aliasMap()
        var outcome: WalkOutcome
        if threads > 1 {
            outcome = try parallelSearch(needle: needle, aliases: aliases, threads: threads, limit: limit, each: each)
        } else {
            let reader = ownSearchReader(needle: needle, aliases: aliases)
            var shown = 0
            outcome = try streamedWalk(includeBody: true, stopWhen: { limit.map { shown >= $0 } ?? false }) { row in
                if let summary = try self.searchOne(
                    recordID: row.recordID, wrappedKey: row.wrappedKey, version: row.version,
                    meta: row.meta, body: row.body, reader: reader)
                {
                    each(summary)
                    shown += 1
                }
            }
            outcome.count = shown
        }
        outcome.problems = sourceProblems + outcome.problems
        return outcome
    }

    /// One record of a search: its summary if its title, tags, source alias or testimony contain
    /// the needle, nil if not. Throws `recordIntegrity` if it fails authentication.
    /// Called from several threads at once (`parallelSearch`): it must read only the vault's
    /// immutable state (ids, subkeys) and use only the buffers in `reader`.
    func searchOne(
        recordID: String, wrappedKey: UnsafeRawBufferPointer, version: Int?, meta sealedMeta: UnsafeRawBufferPointer,
        body sealedBody: UnsafeRawBufferPointer, reader: SearchReader
    ) throws -> RecordSummary? {
        let integrity = VaultError.recordIntegrity(recordID: recordID)
        guard let version else { throw integrity }
        return try withRecordKey(recordID: recordID, wrappedKey: wrappedKey, using: reader.key) { key in
            let meta = try self.metadata(sealedMeta, version: version, key: key, recordID: recordID, using: reader.data)
            // The body is always opened (and checked to be UTF-8), so a damaged body is reported
            // even when the title matches. It is folded from one locked buffer into another.
            var snippet: String?
            let bodyMatches = try self.withOpenedField(
                sealedBody, key: key, recordID: recordID, version: version, field: .recordBody,
                using: reader.data
            ) { bytes in
                let found = try self.foldedText(
                    bytes, contains: reader.needle, cache: reader.cache, integrity: integrity, using: reader.fold)
                guard let hit = found else { return false }
                // Usually the hit's offset in the folded text is its offset in the testimony (no
                // character before it changed length, even when one after it did): checked there
                // (the needle must fold to the start of the text at that offset), else the lines
                // are searched.
                snippet =
                    SearchSnippet.snippet(in: bytes, at: hit, needle: reader.needle, cache: reader.cache)
                    ?? SearchSnippet.snippet(in: bytes, needle: reader.needle, cache: reader.cache)
                return true
            }
            let alias = reader.aliases[meta.source]
            guard
                bodyMatches || reader.matcher.matches(meta.title) || meta.tags.contains(where: { reader.matcher.matches($0) })
                    || reader.matcher.matches(alias ?? "")
            else { return nil }
            return RecordSummary(id: recordID, version: version, metadata: meta, sourceAlias: alias, snippet: snippet)
        }
    }

    /// Folds `bytes` into the locked fold buffer and looks for `needle` there; the buffer is wiped
    /// before returning. Throws `integrity` if the bytes are not UTF-8.
    /// Where the needle first occurs in the folded text (nil: nowhere).
    private func foldedText(
        _ bytes: UnsafeRawBufferPointer, contains needle: [UInt8], cache: TextFolding.Cache,
        integrity: VaultError, using buffer: SecureScratch
    ) throws -> Int? {
        let foldScratch = buffer
        var capacity = bytes.count + 64
        var used = 0
        // The folded length, and a margin: the block scan zeroes what it touched beyond that, but
        // a scalar taken back to be folded with a mark may leave up to 3 bytes past the end.
        defer { foldScratch.wipe(count: used + 16) }
        while true {
            let found: Int?? = try foldScratch.withMutableBytes(minimumCapacity: capacity) {
                (out) throws -> Int?? in
                switch TextFolding.fold(utf8: bytes, into: out, cache: cache) {
                case .folded(let n):
                    used = n
                    return .some(TextFolding.firstMatch(UnsafeRawBufferPointer(rebasing: out[0..<n]), needle))
                case .invalidUTF8:
                    used = out.count
                    throw integrity
                case .needsRoom:
                    used = out.count
                    return nil
                }
            }
            if let found { return found }
            capacity *= 2
        }
    }

    /// Deletes a record: its wrapped key and every version (SQLite `secure_delete` zeroes the
    /// freed pages). Returns the full id.
    public func remove(_ idOrPrefix: String) throws(VaultError) -> String {
        try audited("rm", after: { ["record": $0.id, "unlisted": $0.differed ? "1" : "0"] }) {
            () throws(VaultError) -> (id: String, differed: Bool) in
            let id = try self.resolveRecordID(idOrPrefix)
            return (id, try self.deleteRecord(id))
        }.id
    }

    public func recordCount() throws(VaultError) -> Int { try store.recordCount() }

    /// Retention (SECURITY.md §8.3): shreds every record whose `retainUntil` day has passed (UTC).
    /// With `fullScan`, every record's metadata is read and the index rebuilt (`retention apply`);
    /// otherwise only the small sealed index is read (every unlock). Returns the shredded ids.
    public func applyRetention(today: String? = nil, fullScan: Bool = false) throws(VaultError) -> [String] {
        let today = today ?? String(Self.timestamp().prefix(10))
        var index: [String: String]
        if fullScan {
            index = [:]
            var problems: [VaultError] = []
            let walked = try iterate(includeBody: false) { row, version, key in
                let meta = try self.metadata(row.meta, version: version, key: key, recordID: row.recordID)
                if let until = meta.retainUntil { index[row.recordID] = until }
            } problem: {
                problems.append($0)
            }
            // An index rebuilt from rows that differ from the manifest could leave out a record
            // that is due: refuse, naming the difference, and keep the old index.
            var found = (records: [RecordSummary](), problems: problems)
            try verifyWalk(walked, &found)
            for p in found.problems { if case .vaultIntegrity = p { throw p } }
            // A record whose metadata could not be read keeps the date the old index gave it.
            let old = (try? retentionIndex()) ?? [:]
            for case .recordIntegrity(let id) in found.problems { if let until = old[id] { index[id] = until } }
        } else {
            do { index = try retentionIndex() } catch {
                // A damaged index must not lock the reporter out: rebuild it from the records.
                return try applyRetention(today: today, fullScan: true)
            }
        }
        let due = index.filter { $0.value < today }.map(\.key).sorted()
        var expired: [String] = []
        for id in due {
            // A record removed by `rm` may still be listed: drop it from the index silently. One
            // the manifest still lists was taken out of the file (or renamed) without the key:
            // refuse, so it is not dropped from the index and kept past its date (§8.3).
            guard try store.recordIDs(withPrefix: id, limit: 1) == [id] else {
                if formatVersion >= 2, try currentManifest().records[id] != nil {
                    throw .vaultIntegrity(
                        "record \(id) is past its retention date and listed in the manifest, but missing from the file; nothing was shredded (see 'sourcevault check')"
                    )
                }
                index[id] = nil
                continue
            }
            expired.append(id)
            try audited("retention-shred", ids: ["record": id]) { () throws(VaultError) -> Void in try self.deleteRecord(id) }
            index[id] = nil
        }
        if fullScan || !due.isEmpty { try saveRetentionIndex(index, rebuilt: fullScan) }
        return expired
    }

    /// A version's metadata, decoded from the reused secure buffer.
    func metadata(_ v: SealedVersionRow, key: borrowing SecureBytes, recordID: String) throws(VaultError) -> RecordMetadata {
        var result: Result<RecordMetadata, VaultError> = .failure(.recordIntegrity(recordID: recordID))
        v.meta.withUnsafeBytes { sealed in
            result = Result { () throws(VaultError) -> RecordMetadata in
                try metadata(sealed, version: v.version, key: key, recordID: recordID)
            }
        }
        return try result.get()
    }

    func metadata(
        _ sealed: UnsafeRawBufferPointer, version: Int, key: borrowing SecureBytes, recordID: String,
        using buffer: SecureScratch? = nil
    ) throws(VaultError) -> RecordMetadata {
        let integrity = VaultError.recordIntegrity(recordID: recordID)
        do {
            return try withOpenedField(sealed, key: key, recordID: recordID, version: version, field: .recordMeta, using: buffer)
            { bytes in
                // A strict decoder of this one shape (MetadataJSON.swift): 0.3 µs a record against
                // 2.9 µs for JSONSerialization, which was half of `list`. It reads the locked buffer
                // directly; only the resulting strings are copied out.
                guard let meta = MetadataJSON.decode(bytes) else { throw integrity }
                return meta
            }
        } catch let e as VaultError { throw e } catch { throw integrity }
    }

    /// The sealed map of record id → retain-until day (empty if none).
    func retentionIndex() throws(VaultError) -> [String: String] {
        guard let sealed = try store.sealedRetentionIndex() else {
            retentionIndexRead = .some(nil)
            return [:]
        }
        retentionIndexRead = .some(try Manifest.digest(sealed))
        let plain = try keyring.open(.retentionIndex, sealed)
        return try Self.decodeJSON(
            [String: String].self, from: plain, integrity: SealedKind.retentionIndex.integrityError(id: ""))
    }

    /// `rebuilt`: made from a verified walk over every record (the old index may be damaged);
    /// otherwise a change to the index last read, which must still be the one the manifest lists.
    func saveRetentionIndex(_ index: [String: String], rebuilt: Bool = false) throws(VaultError) {
        let sealed = try keyring.seal(.retentionIndex, try Self.encodeJSON(index))
        let digest = try Manifest.digest(sealed)
        // Compare-and-swap: the index this change was made to is still the one the manifest lists
        // (an older index put back meanwhile would lose a record's date, §8.3).
        let read = retentionIndexRead
        try writing({ m in
            guard rebuilt || read.map({ m.retentionDigest == $0 }) == true else {
                throw VaultError.vaultIntegrity(
                    "the retention index is not the one the manifest lists (an older copy put back?); nothing was written")
            }
            m.retentionDigest = digest
        }) { (m) throws(VaultError) -> Void in
            try store.saveSealedRetentionIndex(sealed, manifest: m)
        }
    }

    /// Deletes a record's rows (`rm`, retention) with the manifest update.
    /// Deletes a record's rows, and its entry from the manifest. A record whose rows differ from
    /// what the manifest lists (put back or cut short without the key) is deleted all the same:
    /// removing rows publishes nothing, and a reporter must be able to remove a record an attacker
    /// brought back (§6.8). Returns whether the rows differed (logged as `unlisted=1`).
    @discardableResult
    func deleteRecord(_ id: String) throws(VaultError) -> Bool {
        let versions = try store.record(id).map(\.versions.count)
        var differed = false
        try writingRecords(
            .remove(recordID: id),
            manifest: {
                differed = (try? $0.requireRecord(id, versions: versions)) == nil
                $0.records[id] = nil
            }
        ) { (pages, m) throws(VaultError) -> Void in
            try store.deleteRecord(id, pages: pages, manifest: m)
        }
        return differed
    }

    /// `import`'s one transaction: the manifest lists every record `produce` inserted.
    private func insertRecordsWithManifest(
        _ produce: (_ insert: (SealedRecordRow, RecordMetadata) throws -> Void) throws -> Void
    ) throws(VaultError) {
        var inserted: [String: Int] = [:]
        // The new records' summary entries (§6.12), written to the pages at the end of the
        // transaction: 20 MB of metadata at 100,000 records, for the length of the import.
        let box = PageWrite()
        try writingRecords(.add, box, manifest: { m in m.records.merge(inserted) { $1 } }) {
            (pages, seal) throws(VaultError) -> Void in
            do {
                try store.insertRecords(
                    { insert in
                        try withoutActuallyEscaping(insert) { insert in
                            try produce { row, meta in
                                try insert(row)
                                inserted[row.recordID] = row.versions.count
                                if pages != nil {
                                    box.pending.append(
                                        SummaryPage.Entry(recordID: row.recordID, version: row.versions.count, meta: meta))
                                }
                            }
                        }
                    }, pages: pages, manifest: seal)
            } catch let e as VaultError { throw e } catch { throw .storage(store.describe(error)) }
        }
    }

    // MARK: - Helpers

    private func aliasMap() -> ([String: String], [VaultError]) {
        let r = sourcesChecked()
        return (Dictionary(r.sources.map { ($0.id, $0.alias) }, uniquingKeysWith: { a, _ in a }), r.problems)
    }

    /// A walk whose records are shown as it goes (`list`, `search`): each record is checked
    /// against the manifest read in the walk's transaction before `body` sees it (a record it does
    /// not list so is never opened or shown, and named at the end); `stopWhen` is asked before
    /// each record (a `--limit` reached). A `recordIntegrity` error thrown for a record becomes a
    /// problem and the walk goes on.
    func streamedWalk(includeBody: Bool, stopWhen: () -> Bool, _ body: (LatestRowView) throws -> Void) throws(VaultError)
        -> WalkOutcome
    {
        var check: WalkCheck?
        var problems: [VaultError] = []
        var complete = true
        do {
            try store.forEachLatest(
                includeBody: includeBody, manifest: { check = try WalkCheck(sealedManifest: $0, vault: self) }
            ) { row in
                if stopWhen() {
                    complete = false
                    throw WalkStopped()
                }
                guard check!.admit(row.recordID, version: row.version) else { return }
                do {
                    try body(row)
                } catch let e as VaultError {
                    guard case .recordIntegrity = e else { throw e }
                    problems.append(e)
                }
            }
        } catch is WalkStopped {
        } catch let e as VaultError {
            throw e
        } catch {
            throw .storage(self.store.describe(error))
        }
        guard let check else { throw .storage("the walk ended before it began") }
        return WalkOutcome(count: 0, problems: problems + (try walkProblems(check, complete: complete)))
    }

    /// Walks the latest version of every record, unopened. A `recordIntegrity` error thrown for a
    /// record goes to `problem` and the walk continues; any other error ends it. At the end the
    /// records walked are checked against the manifest (`verifyWalk`).
    @discardableResult
    func walk(includeBody: Bool, _ body: (LatestRowView) throws -> Void, problem: (VaultError) -> Void) throws(VaultError)
        -> WalkTally
    {
        var tally = WalkTally()
        do {
            tally.sealedManifest = try store.forEachLatest(includeBody: includeBody) { row in
                tally.add(recordID: row.recordID, version: row.version)
                do {
                    try body(row)
                } catch let e as VaultError {
                    guard case .recordIntegrity = e else { throw e }
                    problem(e)
                }
            }
        } catch let e as VaultError {
            throw e
        } catch {
            throw .storage(self.store.describe(error))
        }
        return tally
    }

    /// Walks the latest version of every record with its unwrapped key. A record that fails
    /// authentication goes to `problem` and the walk continues.
    @discardableResult
    private func iterate(
        includeBody: Bool,
        _ body: (LatestRowView, Int, borrowing SecureBytes) throws -> Void,
        problem: (VaultError) -> Void
    ) throws(VaultError) -> WalkTally {
        try walk(
            includeBody: includeBody,
            { row in
                guard let version = row.version else { throw VaultError.recordIntegrity(recordID: row.recordID) }
                try self.withRecordKey(recordID: row.recordID, wrappedKey: row.wrappedKey) { key in try body(row, version, key) }
            }, problem: problem)
    }

    /// By creation time, then id. The keys are compared as bytes (String comparison is Unicode-
    /// aware and was 8 ms of a 10,000-record listing); for the ASCII timestamps and hex ids the
    /// writer produces the order is the same.
    /// The keys (`created`, 0, id) sit in one flat buffer: an array per key and a closure per
    /// comparison to reach its bytes were 4 ms of a 10,000-record listing.
    static func sort(_ records: inout [RecordSummary]) {
        var flat: [UInt8] = []
        var start: [Int] = []
        start.reserveCapacity(records.count + 1)
        for r in records {
            start.append(flat.count)
            flat += r.metadata.created.utf8
            flat.append(0)
            flat += r.id.utf8
        }
        start.append(flat.count)
        let order = flat.withUnsafeBytes { p in
            records.indices.sorted { a, b in
                let nx = start[a + 1] - start[a], ny = start[b + 1] - start[b]
                let c = memcmp(p.baseAddress! + start[a], p.baseAddress! + start[b], min(nx, ny))  // never empty: the 0 separator
                return c != 0 ? c < 0 : nx < ny
            }
        }
        // Applied in place, cycle by cycle (swaps move the summaries; a map would copy each one,
        // retaining its strings, and release the originals).
        var placed = [Bool](repeating: false, count: records.count)
        for start in records.indices where !placed[start] {
            var i = start
            while order[i] != start {
                records.swapAt(i, order[i])
                placed[i] = true
                i = order[i]
            }
            placed[i] = true
        }
    }

    static func sorted(_ records: [RecordSummary]) -> [RecordSummary] {
        var out = records
        sort(&out)
        return out
    }
}

/// Input checks shared by every operation; messages name the field, never its value.
enum Validation {
    static func singleLine(_ value: String, what: String) throws(VaultError) -> String {
        let v = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !v.isEmpty else { throw .invalidInput("the \(what) is empty") }
        guard !v.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidInput("the \(what) contains a line break or control character")
        }
        guard v.utf8.count <= 4096 else { throw .invalidInput("the \(what) is longer than 4096 bytes") }
        return v
    }

    static func date(_ value: String) throws(VaultError) -> String {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard value.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), d >= 1, d <= daysIn(month: m, year: y)
        else { throw .invalidInput("the date must be a real date written YYYY-MM-DD") }
        return value
    }

    static func body(_ body: String) throws(VaultError) {
        // Stops at the first visible character (trimming copied the whole text: 6% of an import).
        // White_Space plus U+200B is exactly CharacterSet.whitespacesAndNewlines (checked over all
        // of Unicode with this Foundation).
        guard body.unicodeScalars.contains(where: { !$0.properties.isWhitespace && $0 != "\u{200B}" }) else {
            throw .invalidInput("the testimony is empty")
        }
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
