/// A name's other spellings scalar by scalar, shared by the Hangul initial-sound variants and the
/// Han traditional/simplified variants.
enum Spellings {
    /// Every combination of `scalars` with the scalar at each of `positions` replaced by each of
    /// `forms(scalar)` (itself first), in order, at most `limit` of them; `[scalars]` when no
    /// position has another form.
    static func combinations(
        _ scalars: [Unicode.Scalar], at positions: some Sequence<Int>, limit: Int, forms: (UInt32) -> [UInt32]
    ) -> [[Unicode.Scalar]] {
        var results: [[Unicode.Scalar]] = [scalars]
        for position in positions {
            let alternatives = forms(scalars[position].value)
            guard alternatives.count > 1 else { continue }
            var next: [[Unicode.Scalar]] = []
            for r in results {
                for f in alternatives {
                    guard next.count < limit, let s = Unicode.Scalar(f) else { continue }
                    var copy = r
                    copy[position] = s
                    next.append(copy)
                }
            }
            results = next
        }
        return results
    }
}
