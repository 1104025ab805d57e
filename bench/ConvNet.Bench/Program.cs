using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace ConvNet.Bench;

/// <summary>
/// dotnet run -c Release --project bench/ConvNet.Bench -- --filter '*'            (all, default job)
/// dotnet run -c Release --project bench/ConvNet.Bench -- --filter '*Conv*' --job short
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(new ThroughputColumn())
            .WithOptions(ConfigOptions.JoinSummary);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
