// libFuzzer entry point: the redaction normalizer, matcher, leak check and suggestions must never
// crash, and redacting must be idempotent, on any text.
import Foundation
import FuzzDriver
import Redaction

let fuzzRules: [RedactionRule] = [
    .term("r1", "Jong-yol", variants: ["이종열", "李钟烈"]), .term("r2", "Hoeryŏng", label: .place),
    .term("r3", "Kim"), .detector("r4", .phone), .detector("r5", .date), .detector("r6", .email)
]
let fuzzRedactor = try? Redactor(rules: fuzzRules)
let fuzzChecker = try? LeakChecker(rules: fuzzRules)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedaction(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let fuzzRedactor, let fuzzChecker else { return -1 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let once = fuzzRedactor.redact(text)
    let twice = fuzzRedactor.redact(once.text)
    precondition(twice.text == once.text, "redaction is not idempotent")
    precondition(fuzzChecker.check(once.text).allSatisfy { $0.kind != .exact }, "a rule term survived redaction")
    _ = suggest(text, rules: fuzzRules)
    return 0
}

@_cdecl("fuzz_redaction_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in
        guard let data else { return 0 }
        return fuzzRedaction(data, size)
    }
}
