// `share` (issue 17): the whole pipeline in process (decrypt the record, select, redact, leak-check,
// render, age-encrypt, write the file, record provenance, audit) beside Debian's `age` encrypting
// the same plaintext bytes in the same run (its whole process: start-up, read, encrypt, write).
import AgeFormat
import Audit
import Foundation
import Publishing
import SodiumKit
import VaultCore

#if canImport(Glibc)
import Glibc
#endif

func shareBench(megabytes: Int) -> [Figure] {
    let dir = NSTemporaryDirectory() + "sv-bench-share-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    guard let (v, _, id) = oneRecordVault(dir, megabytes: megabytes),
        (try? v.addRule(StoredRule(kind: .term, value: "Hoeryŏng", variants: ["Hoeryong"], label: "PLACE"))) != nil,
        (try? v.addRule(StoredRule(kind: .term, value: "broker", label: "PERSON"))) != nil,
        let editor = try? AgeIdentity.generate(),
        (try? v.addContact(name: "Editor", recipient: editor.recipient.encoded)) != nil
    else {
        print("share bench: could not build its vault")
        return []
    }
    let out = dir + "/share.age"
    var plainBytes = 0, fileBytes = 0
    var failure: Error?
    let shareTime = bestOf(3) {
        unlink(out)
        do {
            let s = try Sharing.share(vault: v, id: id, selection: .whole, to: ["Editor"], out: out, armor: false)
            (plainBytes, fileBytes) = (s.plaintextBytes, s.fileBytes)
        } catch { failure = error }
    }
    if let failure {
        print("share bench: share failed: \(failure)")
        return []
    }
    // The same plaintext, for age and for AgeFormat alone (synthetic testimony: no secret on disk).
    guard
        let rendered = try? Exporter.render(
            try Exporter.prepare(vault: v, id: id, selection: .whole), format: .text)
    else { return [] }
    let input = dir + "/plain.txt"
    _ = FileManager.default.createFile(atPath: input, contents: Data(rendered))
    // The export stages alone (what `export` does before writing), to show where the time goes.
    let exportStages = bestOf(3) {
        _ = try? Exporter.render(try Exporter.prepare(vault: v, id: id, selection: .whole), format: .text)
    }
    let formatOnly = bestOf(3) {
        _ = try? rendered.withUnsafeBytes { try Age.encrypt($0, to: [editor.recipient]) }
    }
    var ageTime: Double? = nil
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/age") {
        ageTime = bestOf(3) {
            let r = runChild(["/usr/bin/age", "-r", editor.recipient.encoded, "-o", "/dev/null", input], secret: "")
            if r.status != 0 { print("share bench: age failed (\(r.status))") }
        }
    } else {
        print("share bench: /usr/bin/age is missing (make test installs it): no baseline")
    }
    let mb = Double(plainBytes) / 1e6
    return [
        Figure(
            name: "share, \(megabytes) MiB record",
            detail:
                "whole pipeline in process: open the record, redact (2 rules), leak check, render, age-encrypt to 1 recipient, write \(fileBytes) bytes, provenance, audit. Of it, the export stages (prepare + render): \(String(format: "%.2f", mb / exportStages)) MB/s; AgeFormat encryption alone: \(String(format: "%.0f", mb / formatOnly)) MB/s",
            value: mb / shareTime, unit: "MB/s", target: "-", met: nil, baseline: ageTime.map { mb / $0 },
            baselineName: "age -r, same bytes (whole process)")
    ]
}

/// A vault in `dir`/vault (the caller removes `dir`) with the source "Bench" and one record of
/// `megabytes` MiB of synthetic testimony, unlocked with its audit log (the share and disclosure rows).
func oneRecordVault(_ dir: String, megabytes: Int) -> (Vault, Source, String)? {
    guard let p = try? SecureBytes(copying: Array("bench passphrase".utf8)),
        (try? Vault.create(
            directory: dir + "/vault", passphrase: p, profile: .test, audit: AuditLog(newLogPath: dir + "/vault/audit.log"),
            showRecoveryKey: { _ in })) != nil,
        let v = try? Vault.unlock(directory: dir + "/vault", passphrase: p, audit: AuditLog()),
        let source = try? v.addSource(alias: "Bench"),
        let id = try? v.addRecord(
            NewRecord(sourceAlias: "Bench", title: "big", body: testimony(1, bytes: max(1, megabytes) << 20)))
    else { return nil }
    return (v, source, id)
}
