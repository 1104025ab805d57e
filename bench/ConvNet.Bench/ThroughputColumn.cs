using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ConvNet.Bench;

/// <summary>
/// A column with the work rate of each benchmark: GFLOP/s (2 flops per multiply-add) or images/s, from the median time
/// and the amount of work the benchmark registered for its parameters.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    private static readonly ConcurrentDictionary<string, (double Work, string Unit)> Work = new();

    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "Throughput";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "GFLOP/s (2 per multiply-add) or img/s at the median time";

    /// <summary>Registers the work of one benchmark case: flops or images per invocation.</summary>
    public static void Register(string benchmark, string parameters, double work, string unit) => Work[benchmark + "|" + parameters] = (work, unit);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        string key = benchmarkCase.Descriptor.WorkloadMethod.Name + "|" + benchmarkCase.Parameters.DisplayInfo;
        var report = summary[benchmarkCase];
        if (!Work.TryGetValue(key, out var w) || report?.ResultStatistics is null)
        {
            return "-";
        }

        double seconds = report.ResultStatistics.Median * 1e-9;
        return w.Unit == "GFLOP/s"
            ? (w.Work / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) + " GFLOP/s"
            : (w.Work / seconds).ToString("N0", CultureInfo.InvariantCulture) + " img/s";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
