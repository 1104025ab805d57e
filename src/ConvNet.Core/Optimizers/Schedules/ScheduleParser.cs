using System.Globalization;
using System.Text.RegularExpressions;

namespace ConvNet.Optimizers.Schedules;

/// <summary>Reads back the descriptions the built-in schedules give (<see cref="object.ToString"/>).</summary>
internal static partial class ScheduleParser
{
    public static LearningRateSchedule? TryParse(string text)
    {
        if (text == "constant")
        {
            return LearningRateSchedule.Constant;
        }

        try
        {
            if (Step().Match(text) is { Success: true } s)
            {
                return LearningRateSchedule.Step(Int(s.Groups[1].Value), Real(s.Groups[2].Value));
            }

            if (Exponential().Match(text) is { Success: true } e)
            {
                return LearningRateSchedule.Exponential(Real(e.Groups[1].Value));
            }

            if (Cosine().Match(text) is { Success: true } c)
            {
                return LearningRateSchedule.Cosine(Int(c.Groups[1].Value), Real(c.Groups[2].Value));
            }

            if (OneCycle().Match(text) is { Success: true } o)
            {
                return LearningRateSchedule.OneCycle(Int(o.Groups[1].Value), Real(o.Groups[2].Value), Real(o.Groups[3].Value), Real(o.Groups[4].Value));
            }

            if (Warmup().Match(text) is { Success: true } w && TryParse(w.Groups[2].Value) is LearningRateSchedule then)
            {
                return LearningRateSchedule.LinearWarmup(Int(w.Groups[1].Value), then);
            }
        }
        catch (System.ArgumentException)
        {
            // Numbers out of range (a hand-edited file): not a schedule this version can rebuild.
        }

        return null;
    }

    private static int Int(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1;

    private static double Real(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    [GeneratedRegex(@"^step\((\d+), γ=([^)]+)\)$")]
    private static partial Regex Step();

    [GeneratedRegex(@"^exponential\(γ=([^)]+)\)$")]
    private static partial Regex Exponential();

    [GeneratedRegex(@"^cosine\((\d+), min=([^)]+)\)$")]
    private static partial Regex Cosine();

    [GeneratedRegex(@"^one-cycle\((\d+), pct=([^,]+), div=([^,]+), final-div=([^)]+)\)$")]
    private static partial Regex OneCycle();

    [GeneratedRegex(@"^warmup\((\d+), then (.+)\)$")]
    private static partial Regex Warmup();
}
