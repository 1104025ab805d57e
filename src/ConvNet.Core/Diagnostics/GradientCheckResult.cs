using System.Collections.Generic;

namespace ConvNet.Diagnostics;

/// <summary>The outcome of a gradient check.</summary>
/// <param name="Checked">Elements compared.</param>
/// <param name="Skipped">Elements skipped because a kink (ReLU at 0, a max-pool tie) lies within ±h: there the one-sided
/// differences disagree and no derivative exists to compare.</param>
/// <param name="MaxError">The largest |analytic − numeric| / max(1, |analytic|, |numeric|) seen.</param>
/// <param name="Failures">One line per element outside the tolerance (at most 20).</param>
public sealed record GradientCheckResult(int Checked, int Skipped, double MaxError, IReadOnlyList<string> Failures)
{
    /// <summary>True when every checked element is within the tolerance and something was checked.</summary>
    public bool Passed => Failures.Count == 0 && Checked > 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"{(Passed ? "passed" : "FAILED")}: {Checked} checked, {Skipped} skipped at kinks, max error {MaxError:G3}" +
        (Failures.Count > 0 ? "\n" + string.Join("\n", Failures) : string.Empty);
}
