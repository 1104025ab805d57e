using System;
using System.Globalization;
using System.Reflection;
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

    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "Throughput";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "GFLOP/s (2 per multiply-add) or img/s at the median time";

    /// <summary>
    /// The work of one case, computed in the host process from the benchmark's parameters: each benchmark class has a
    /// static <c>WorkOf(string method, Func&lt;string, object?&gt; parameter)</c> returning (flops or images, unit).
    /// </summary>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        var workOf = benchmarkCase.Descriptor.Type.GetMethod("WorkOf", BindingFlags.Public | BindingFlags.Static);
        if (workOf is null || report?.ResultStatistics is null)
        {
            return "-";
        }

        Func<string, object?> parameter = name => benchmarkCase.Parameters[name];
        if (workOf.Invoke(null, [benchmarkCase.Descriptor.WorkloadMethod.Name, parameter]) is not ValueTuple<double, string> w || w.Item1 <= 0)
        {
            return "-";
        }

        double seconds = report.ResultStatistics.Median * 1e-9;
        return w.Item2 == "GFLOP/s"
            ? (w.Item1 / seconds / 1e9).ToString("F1", CultureInfo.InvariantCulture) + " GFLOP/s"
            : (w.Item1 / seconds).ToString("N0", CultureInfo.InvariantCulture) + " img/s";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
