using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ConvNet.Core.Tests.Infrastructure;

/// <summary>A tensor from the oracle files: float64 values and a shape.</summary>
public sealed record OracleTensor(int[] Shape, double[] Data)
{
    public float[] ToFloat() => Data.Select(d => (float)d).ToArray();

    public int[] ToInt() => Data.Select(d => (int)d).ToArray();

    public Tensor ToTensor() => Tensor.FromData(ToFloat(), Shape.Length == 0 ? [1] : Shape);

    public double Max => Data.Length == 0 ? 0 : Data.Max(Math.Abs);
}

/// <summary>One case of an oracle JSON file (schema in TestData/oracle/README.md).</summary>
public sealed class OracleCase
{
    public required string Name { get; init; }
    public required string Op { get; init; }
    public required JsonElement Params { get; init; }
    public required Dictionary<string, OracleTensor> Inputs { get; init; }
    public required Dictionary<string, OracleTensor> Expected { get; init; }

    public override string ToString() => Name;
}

/// <summary>Loads the third-party oracle vectors copied into TestData/oracle (never from ../shared).</summary>
public static class Oracle
{
    private static readonly Dictionary<string, List<OracleCase>> Cache = new();

    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "TestData", "oracle");

    public static IReadOnlyList<OracleCase> Load(string file)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(file, out var cached))
            {
                return cached;
            }

            string path = Path.Combine(DataDirectory, file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    $"Oracle file '{file}' is missing from {DataDirectory}. It ships in tests/ConvNet.Core.Tests/TestData/oracle; restore it from the repository.", path);
            }

            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var list = new List<OracleCase>();
            foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            {
                list.Add(new OracleCase
                {
                    Name = c.GetProperty("name").GetString()!,
                    Op = c.GetProperty("op").GetString()!,
                    Params = c.GetProperty("params").Clone(),
                    Inputs = ReadTensors(c.GetProperty("inputs")),
                    Expected = ReadTensors(c.GetProperty("expected")),
                });
            }

            if (list.Count == 0)
            {
                throw new InvalidDataException($"Oracle file '{file}' has no cases.");
            }

            Cache[file] = list;
            return list;
        }
    }

    public static OracleCase Case(string file, string name) =>
        Load(file).FirstOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"Oracle case '{name}' not found in {file}.");

    /// <summary>Case names for a [MemberData]; a missing file yields one entry that fails in the test body.</summary>
    public static IEnumerable<object[]> Names(string file, Func<OracleCase, bool>? filter = null)
    {
        string path = Path.Combine(DataDirectory, file);
        if (!File.Exists(path))
        {
            return [["<missing " + file + ">"]];
        }

        return Load(file).Where(c => filter is null || filter(c)).Select(c => new object[] { c.Name }).ToList();
    }

    /// <summary>The oracle README's float32 tolerance: |got − exp| ≤ 1e-4 · max(1, max|exp|) per tensor.</summary>
    public static double Tolerance(OracleTensor expected) => 1e-4 * Math.Max(1.0, expected.Max);

    private static Dictionary<string, OracleTensor> ReadTensors(JsonElement obj)
    {
        var result = new Dictionary<string, OracleTensor>();
        foreach (var p in obj.EnumerateObject())
        {
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var data = p.Value.GetProperty("data").EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.Parse(e.GetString()!, CultureInfo.InvariantCulture))
                .ToArray();
            result[p.Name] = new OracleTensor(shape, data);
        }

        return result;
    }
}
