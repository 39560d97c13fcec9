import Foundation
import GRDB
import Testing

@testable import VaultCore

/// Reading the facts got cheaper for the disclosure guard (issue 18): item rows stepped with
/// SQLite's C API, ids compared and sorted as 16-byte keys. Each path is compared here with the
/// way it was done before, on ordinary and hostile rows.
@Suite struct FactReadPathTests {
    /// The rows as they were read before: GRDB rows, columns looked up by name.
    static func referenceItems(_ db: Database, _ kind: SealedItemKind) throws -> [SealedItemRow] {
        try Row.fetchAll(db, sql: "SELECT \(kind.idColumn), sealed FROM \(kind.rawValue) ORDER BY rowid").map {
            SealedItemRow(id: Column.id($0, kind.idColumn), sealed: Column.blob($0, "sealed") ?? [])
        }
    }

    @Test func itemRowsReadAsBeforeEvenWhenPlanted() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        for i in 0..<5 { _ = try v.addFact(sourceAlias: "Magpie", kind: .age, term: "fact \(i)") }
        _ = try v.addRule(StoredRule(kind: .term, value: "Kim", label: "PERSON"))
        // Hostile rows: an id that is a blob, a number, too long, upper case, with a line break;
        // a sealed value that is text, a number, empty.
        try t.sql { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            for (id, sealed): (any DatabaseValueConvertible, any DatabaseValueConvertible) in [
                (Data("0123456789abcdef".utf8), Data([1, 2, 3])), (1234, Data([4])),
                ("0123456789abcdef0", Data([5])), ("0123456789ABCDEF", Data([6])), ("0123456789abcde\n", Data([7])),
                ("aaaaaaaaaaaaaaaa", "text sealed"), ("bbbbbbbbbbbbbbbb", 42), ("cccccccccccccccc", Data())
            ] {
                try db.execute(sql: "INSERT INTO fact (id, sealed) VALUES (?, ?)", arguments: [id, sealed])
            }
        }
        for kind in [SealedItemKind.fact, .source, .rule, .export] {
            let rows = try v.store.allItems(kind)
            let reference = try t.sql { try Self.referenceItems($0, kind) }
            #expect(rows.map(\.id) == reference.map(\.id) && rows.map(\.sealed) == reference.map(\.sealed), "\(kind)")
        }
        #expect(try v.store.allItems(.fact).count == 13)
        // And the read refuses them against the manifest, naming one.
        #expect(throws: VaultError.self) { _ = try v.facts() }
    }

    /// A fact's associated data made from the shared prefix is the one `SealedKind.ad` makes.
    @Test func factAssociatedDataAsBefore() {
        let vaultID = Array(0..<16).map { UInt8($0 * 7) }
        var ad = SealedKind.fact.ad(vaultID: vaultID)
        let prefix = ad.count
        for id in ["0123456789abcdef", "ffffffffffffffff", "", "x", ObjectID.malformed, "0123456789abcdef0123", "é"] {
            Vault.factAD(&ad, prefixCount: prefix, id: id)
            #expect(ad == SealedKind.fact.ad(vaultID: vaultID, id: id), "\(id)")
        }
    }

    @Test func idsSortAsStrings() {
        var rng = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        for n in [0, 1, 2, 17, 1000] {
            var ids = Set<String>()
            while ids.count < n { ids.insert(String((0..<16).map { _ in hex[Int(rng.next() % 16)] })) }
            // Shared prefixes: the low word decides.
            if n > 2 { ids.insert("0000000000000000"); ids.insert("0000000000000001"); ids.insert("00000000ffffffff") }
            #expect(Manifest.sortedIDs(ids) == ids.sorted())
            var items = ids.shuffled().map { (id: $0, fact: $0 + "!") }
            Vault.sortByID(&items)
            #expect(items.map(\.id) == ids.sorted() && items.allSatisfy { $0.fact == $0.id + "!" })
        }
        // Ids that are not 16 ASCII bytes: sorted as strings.
        let odd: Set<String> = ["b", "a", "ä0123456789abcd", "0123456789abcdefg", "zz"]
        #expect(Manifest.sortedIDs(odd) == odd.sorted())
        var oddItems = odd.map { (id: $0, fact: 0) }
        Vault.sortByID(&oddItems)
        #expect(oddItems.map(\.id) == odd.sorted())
        #expect(ObjectIDKey("0123456789abcdef") != nil && ObjectIDKey("0123456789abcdeé") == nil && ObjectIDKey("abc") == nil)
    }

    /// `ManifestView.lists` against the reference (the ids sorted as strings and compared as bytes).
    @Test func manifestListsTheSameIdsAsBefore() throws {
        let t = TempVault()
        let (v, _) = try t.create()
        _ = try v.addSource(alias: "Magpie")
        for i in 0..<20 { _ = try v.addFact(sourceAlias: "Magpie", kind: .place, term: "place \(i)") }
        let ids = try v.store.allItems(.fact).map(\.id)
        let sealed = try v.store.sealedManifest()
        func reference(_ ids: [String], _ view: ManifestView) -> Bool {
            guard ids.count == view.count(.fact) else { return false }
            var encoded: [UInt8] = []
            for id in ids.sorted() { encoded += id.utf8 }
            return encoded.elementsEqual(view.itemBytes[.fact] ?? UnsafeRawBufferPointer(start: nil, count: 0))
        }
        var cases: [[String]] = [ids, ids.reversed(), ids.shuffled(), Array(ids.dropFirst()), ids + [ids[0]]]
        cases += [
            Array(ids.dropLast()) + [ids[0]], Array(ids.dropLast()) + ["ffffffffffffffff"], Array(ids.dropLast()) + ["short"]
        ]
        cases += [Array(ids.dropLast()) + [ids.last!.uppercased()], [], Array(ids.dropLast()) + [ObjectID.malformed]]
        for c in cases {
            let (new, old) = try Vault.withManifestView(sealed, keyring: v.keyring) { ($0.lists(c, in: .fact), reference(c, $0)) }
            #expect(new == old, "\(c.count) ids")
        }
        #expect(try Vault.withManifestView(sealed, keyring: v.keyring) { $0.lists(ids.shuffled(), in: .fact) })
        #expect(try Vault.withManifestView(sealed, keyring: v.keyring) { $0.lists([], in: .contact) })
    }
}

/// Listed ids are checked on their bytes before a string is made: what decodes and what is refused
/// is as before (a string made first, then ``ObjectID/isValid(_:)``).
@Suite struct ManifestIDDecodeTests {
    @Test func onlyLowercaseHexIdsDecode() throws {
        var m = Manifest(format: 4, generation: 7)
        m.records = ["1111111111111111": 2]
        m.items[.source] = ["aaaaaaaaaaaaaaaa"]
        m.items[.fact] = ["0123456789abcdef", "fedcba9876543210", "00000000000000aa"]
        for table in SealedItemKind.tables(format: 4) where m.items[table] == nil { m.items[table] = [] }
        let encoded = m.encode()
        #expect(encoded.withUnsafeBytes { Manifest.decode($0) } == m)
        // Where the ids are: the record list, then each table's count and ids (§6.8).
        var ranges: [Range<Int>] = [24..<40]
        var at = 24 + 20
        for table in SealedItemKind.tables(format: 4) {
            at += 4
            for _ in 0..<(m.items[table]?.count ?? 0) {
                ranges.append(at..<at + 16)
                at += 16
            }
        }
        #expect(ranges.count == 5)
        for r in ranges {
            for i in r {
                for bad: UInt8 in [UInt8(ascii: "A"), UInt8(ascii: "g"), 0x2F, 0x3A, 0x60, 0x67, 0xFF, 0xC3, 0x00, 0x80] {
                    var copy = encoded
                    copy[i] = bad
                    let wasValid = ObjectID.isValid(String(decoding: copy[r], as: UTF8.self))
                    let decoded = copy.withUnsafeBytes { Manifest.decode($0) }
                    #expect(!wasValid && decoded == nil)
                }
                var copy = encoded
                copy[i] = copy[i] == UInt8(ascii: "f") ? UInt8(ascii: "e") : UInt8(ascii: "f")
                #expect(copy.withUnsafeBytes { Manifest.decode($0) } != nil)
            }
        }
    }
}
