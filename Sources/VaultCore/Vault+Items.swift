import AgeFormat
import Foundation
import SodiumKit

/// The payload type of each kind stored as `(id, sealed)` rows: what `check` decodes an item as.
/// A new item kind adds its case here, beside its ``SealedKind`` entry and its table.
extension SealedKind {
    func decodeCheck(_ plain: borrowing SecureBytes, id: String) throws(VaultError) {
        let integrity = integrityError(id: id)
        switch self {
        case .source: _ = try Vault.decodeJSON(SourcePayload.self, from: plain, integrity: integrity)
        case .rule: _ = try Vault.decodeJSON(StoredRule.self, from: plain, integrity: integrity)
        case .export: _ = try Vault.decodeJSON(ExportEntry.self, from: plain, integrity: integrity)
        case .identity: guard plain.count == 32 else { throw integrity }
        case .contact:
            let c = try Vault.decodeJSON(ContactPayload.self, from: plain, integrity: integrity)
            guard (try? AgeRecipient(parsing: c.recipient)) != nil else { throw integrity }
        case .fact: _ = try Vault.decodeJSON(StoredFact.self, from: plain, integrity: integrity)
        case .summaryPage:
            guard plain.withUnsafeBytes({ SummaryPage.decode($0) }) != nil else { throw integrity }
        default: throw .storage("internal error: \(self) is not stored as items")
        }
    }
}

/// Sources, rules and export entries: the one store of sealed items by id (SECURITY.md §6.3, §6.6,
/// §6.7). Every read opens and authenticates each item; a damaged item is reported by id.
extension Vault {
    /// Every item of `kind` that opens and decodes, and an integrity error for each that does not.
    func itemsChecked<P: Decodable>(_ kind: SealedKind, as type: P.Type) -> (
        items: [(id: String, value: P)], problems: [VaultError]
    ) {
        guard let table = kind.itemTable else { return ([], [.storage("internal error: \(kind) is not stored as items")]) }
        let rows: [SealedItemRow]
        do { rows = try store.allItems(table) } catch { return ([], [error]) }
        return decodeItems(rows, kind, as: type)
    }

    /// Opens and decodes rows of `kind`: the readable ones, and an integrity error per damaged one.
    func decodeItems<P: Decodable>(
        _ rows: [SealedItemRow], _ kind: SealedKind,
        as type: P.Type
    ) -> (items: [(id: String, value: P)], problems: [VaultError]) {
        var out: [(id: String, value: P)] = []
        var problems: [VaultError] = []
        // One secure buffer and one decoder for all rows (a buffer per row cost an mmap and three
        // mprotects: a thousand rules took 60 ms to open).
        let scratch: SecureScratch
        do { scratch = try SecureScratch(capacity: 4096) } catch { return ([], [.storage("secure memory unavailable")]) }
        defer { scratch.wipe() }
        let decoder = JSONDecoder()
        for row in rows {
            do throws(VaultError) {
                let n = try keyring.open(kind, row.sealed, id: row.id, into: scratch)
                let integrity = kind.integrityError(id: row.id)
                let data = scratch.withBytes(count: n) { Data($0) }
                scratch.wipe(count: n)
                do { out.append((row.id, try decoder.decode(P.self, from: data))) } catch { throw integrity }
            } catch {
                problems.append(error)
            }
        }
        return (out, problems)
    }

    /// Every item of `kind`; the first damaged one is thrown (a partial set of rules would fail open).
    func items<P: Decodable>(_ kind: SealedKind, as type: P.Type) throws(VaultError) -> [(id: String, value: P)] {
        let r = itemsChecked(kind, as: type)
        if let damaged = r.problems.first { throw damaged }
        return r.items
    }

    /// Seals and stores a new item; returns its new id.
    func insertItem<P: Encodable>(
        _ kind: SealedKind, _ value: P,
        alsoChange: @escaping (inout Manifest) throws -> Void = { _ in }
    ) throws(VaultError) -> String {
        guard let table = kind.itemTable else { throw .storage("internal error: \(kind) is not stored as items") }
        let id = try Self.newObjectID()
        let row = SealedItemRow(id: id, sealed: try keyring.seal(kind, try Self.encodeJSON(value), id: id))
        try writing({ m in
            m.items[table, default: []].insert(id)
            try alsoChange(&m)
        }) { (m) throws(VaultError) -> Void in
            try store.insertItem(table, row, manifest: m)
        }
        return id
    }

    /// The full id of the one item of `kind` whose id starts with `idOrPrefix` (4+ characters).
    func resolveItemID(
        _ kind: SealedKind, _ idOrPrefix: String, what: String, notFound: VaultError,
        ambiguous: (Int) -> VaultError
    ) throws(VaultError) -> String {
        guard let table = kind.itemTable else { throw .storage("internal error: \(kind) is not stored as items") }
        let p = idOrPrefix.lowercased()
        guard p.count >= 4 else { throw .invalidInput("a \(what) id needs at least 4 characters") }
        let matches = try store.allItems(table).map(\.id).filter { $0.hasPrefix(p) }
        guard let id = matches.first else { throw notFound }
        guard matches.count == 1 else { throw ambiguous(matches.count) }
        return id
    }

    /// Opens every item of every item kind (`check`): one problem per damaged item.
    func checkItems() -> [VaultError] {
        var problems: [VaultError] = []
        for kind in SealedKind.items {
            // A vault still of format 2 (`check` of one whose rows differ from its manifest) has
            // no identity or contact table.
            guard let table = kind.itemTable, SealedItemKind.tables(format: formatVersion).contains(table) else { continue }
            let rows: [SealedItemRow]
            do { rows = try store.allItems(table) } catch { problems.append(error); continue }
            for row in rows {
                do { try kind.decodeCheck(try keyring.open(kind, row.sealed, id: row.id), id: row.id) } catch {
                    problems.append(error)
                }
            }
        }
        return problems
    }
}
