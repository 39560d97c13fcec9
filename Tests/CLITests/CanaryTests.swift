import Foundation
import Testing

/// No plaintext reaches the vault directory: canaries planted in every sensitive field must not
/// appear in any file there, in UTF-8 or UTF-16, whatever the case.
@Suite struct CanaryTests {
    @Test func plantedCanariesAppearInNoVaultFile() throws {
        let c = CLI()
        try c.initVault()
        let canaries = [
            "alias": "CanaryAliasQx7",
            "note": "CanaryNoteZk3",
            "title": "CanaryTitleWv5",
            "tag": "canarytagjm2",
            "body": "CanaryBodyRt9 Hoeryŏng 이종열",
            "body2": "CanaryAmendPp4",
            "date": "1987-06-29"
        ]
        let add = c.run(["source", "add", "-", "--note", "-"] + pw, input: canaries["alias"]! + "\n" + canaries["note"]! + "\n")
        #expect(add.status == 0, "\(add.stderr)")
        let id = try c.add(
            source: canaries["alias"]!, title: canaries["title"]!, body: canaries["body"]!,
            extra: ["--tag", canaries["tag"]!, "--date", canaries["date"]!])
        let f = c.writeFile("amend.txt", Data(canaries["body2"]!.utf8))
        #expect(c.run(["amend", id, "--file", f] + pw).status == 0)
        let other = try c.add(source: canaries["alias"]!, title: "x", body: "CanaryDeletedLm8")
        #expect(c.run(["rm", other] + pw).status == 0)
        #expect(c.run(["search", "canaryamend"] + pw).stdout.hasPrefix(id))
        #expect(c.run(["list", "--json"] + pw).status == 0)

        let files = c.vaultFiles()
        #expect(!files.isEmpty)
        var needles = Array(canaries.values) + ["CanaryDeletedLm8", "Hoeryŏng", "이종열"]
        needles += needles.map { $0.lowercased() } + needles.map { $0.uppercased() }
        for (path, data) in files {
            for n in needles {
                let utf16 = n.data(using: .utf16LittleEndian)!
                #expect(!data.contains(n), "\(n) found in \(path)")
                #expect(data.range(of: utf16) == nil, "\(n) (UTF-16) found in \(path)")
            }
        }
        // The scan itself works: it read the database, and finds what is stored in plaintext there
        // (the record id), so a canary stored the same way would have been found.
        let db = files.first { $0.0.hasSuffix("/vault.sqlite3") }
        #expect(db != nil && db!.1.count > 8192)
        #expect(db?.1.contains(id) == true)
    }
}
