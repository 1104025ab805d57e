using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

namespace ConvNet.Bench;

/// <summary>
/// dotnet run -c Release --project bench/ConvNet.Bench -- --filter '*'            (all, default job)
/// dotnet run -c Release --project bench/ConvNet.Bench -- --filter '*Conv*' --job short
/// dotnet run -c Release --project bench/ConvNet.Bench -- profile resnet20 128 1  (per-layer shares, see LayerProfile)
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "profile")
        {
            LayerProfile.Run(args);
            return;
        }

        var config = DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(new ThroughputColumn())
            .WithOptions(ConfigOptions.JoinSummary);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
