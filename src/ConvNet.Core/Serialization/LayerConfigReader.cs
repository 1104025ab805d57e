using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using ConvNet.Layers;

namespace ConvNet.Serialization;

/// <summary>
/// Gives a layer factory (see <see cref="LayerRegistry"/>) the settings a <see cref="LayerConfigWriter"/> wrote, each
/// checked against the bounds the factory names: a missing, mistyped or out-of-range value raises
/// <see cref="InvalidDataException"/> naming the layer and the setting, so a hostile file cannot reach a constructor
/// with absurd values.
/// </summary>
public sealed class LayerConfigReader
{
    /// <summary>The largest array setting accepted.</summary>
    public const int MaxArrayLength = 1 << 16;

    private readonly JsonElement _e;
    private readonly LoadBudget _budget;

    internal LayerConfigReader(JsonElement element, LoadBudget budget, string type, string name)
    {
        _e = element;
        _budget = budget;
        TypeName = type;
        Name = name;
    }

    /// <summary>The registered type name of the layer being read.</summary>
    public string TypeName { get; }

    /// <summary>The layer's saved name.</summary>
    public string Name { get; }

    /// <summary>Whether a setting is present.</summary>
    /// <param name="key">The setting's name.</param>
    /// <returns>True when the layer entry has it.</returns>
    public bool Has(string key) => _e.TryGetProperty(key, out _);

    /// <summary>Reads an integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="key">The setting's name.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <returns>The value.</returns>
    public int GetInt(string key, int min = 0, int max = 1 << 20)
    {
        var v = Prop(key);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < min || i > max)
        {
            throw Bad(key, $"must be an integer in {min}..{max}");
        }

        return i;
    }

    /// <summary>Reads a finite number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    /// <param name="key">The setting's name.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <returns>The value.</returns>
    public double GetDouble(string key, double min = double.MinValue, double max = double.MaxValue)
    {
        var v = Prop(key);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d) || d < min || d > max)
        {
            throw Bad(key, $"must be a finite number in [{min}, {max}]");
        }

        return d;
    }

    /// <summary>Reads a flag.</summary>
    /// <param name="key">The setting's name.</param>
    /// <returns>The value.</returns>
    public bool GetBool(string key) => Prop(key).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Bad(key, "must be true or false"),
    };

    /// <summary>Reads a text setting of at most 256 characters.</summary>
    /// <param name="key">The setting's name.</param>
    /// <returns>The value.</returns>
    public string GetString(string key)
    {
        var v = Prop(key);
        if (v.ValueKind != JsonValueKind.String)
        {
            throw Bad(key, "must be a string");
        }

        string s = v.GetString()!;
        return s.Length <= 256 ? s : throw Bad(key, "is longer than 256 characters");
    }

    /// <summary>Reads an integer array of exactly <paramref name="count"/> values (any length up to <see cref="MaxArrayLength"/> when −1).</summary>
    /// <param name="key">The setting's name.</param>
    /// <param name="count">The required length, or −1.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <returns>The values.</returns>
    public int[] GetInts(string key, int count = -1, int min = 0, int max = 1 << 20) => ReadInts(Prop(key), key, count, min, max);

    /// <summary>Reads an array of integer arrays with at most <paramref name="rows"/> rows (exactly, unless −1).</summary>
    /// <param name="key">The setting's name.</param>
    /// <param name="rows">The required number of rows, or −1.</param>
    /// <param name="rowLength">The required length of each row, or −1.</param>
    /// <param name="min">The smallest value accepted.</param>
    /// <param name="max">The largest value accepted.</param>
    /// <returns>The rows.</returns>
    public int[][] GetIntRows(string key, int rows = -1, int rowLength = -1, int min = 0, int max = 1 << 20)
    {
        var v = Prop(key);
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() > MaxArrayLength || (rows >= 0 && v.GetArrayLength() != rows))
        {
            throw Bad(key, rows >= 0 ? $"must be an array of {rows} arrays" : "must be an array of arrays");
        }

        var result = new int[v.GetArrayLength()][];
        int i = 0;
        foreach (var row in v.EnumerateArray())
        {
            result[i++] = ReadInts(row, key, rowLength, min, max);
        }

        return result;
    }

    /// <summary>Reads and builds a child layer.</summary>
    /// <param name="key">The setting's name.</param>
    /// <returns>The child.</returns>
    public Layer GetLayer(string key) => LayerRegistry.Read(Prop(key), _budget);

    /// <summary>Reads and builds a list of child layers.</summary>
    /// <param name="key">The setting's name.</param>
    /// <returns>The children, in order.</returns>
    public IReadOnlyList<Layer> GetLayers(string key)
    {
        var v = Prop(key);
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Bad(key, "must be an array of layers");
        }

        var result = new List<Layer>();
        foreach (var c in v.EnumerateArray())
        {
            result.Add(LayerRegistry.Read(c, _budget));
        }

        return result;
    }

    /// <summary>
    /// Declares how many parameter values the layer about to be built will allocate, before building it: a file whose
    /// layers need more values than its data section holds is rejected here, so a hostile header cannot make the
    /// constructor allocate gigabytes.
    /// </summary>
    /// <param name="values">The parameter (and buffer) values the layer allocates.</param>
    public void Reserve(long values) => _budget.Reserve(values, $"{TypeName} '{Name}'");

    private JsonElement Prop(string key)
    {
        ThrowHelper.NotNull(key, nameof(key));
        if (!_e.TryGetProperty(key, out var v))
        {
            throw new InvalidDataException($"{TypeName} '{Name}' in the model file lacks '{key}'.");
        }

        return v;
    }

    private int[] ReadInts(JsonElement v, string key, int count, int min, int max)
    {
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() > MaxArrayLength || (count >= 0 && v.GetArrayLength() != count))
        {
            throw Bad(key, count >= 0 ? $"must be an array of {count} integers" : "must be an array of integers");
        }

        var r = new int[v.GetArrayLength()];
        int i = 0;
        foreach (var x in v.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out r[i]) || r[i] < min || r[i] > max)
            {
                throw Bad(key, $"must hold integers in {min}..{max}");
            }

            i++;
        }

        return r;
    }

    private InvalidDataException Bad(string key, string what) => new($"{TypeName} '{Name}' in the model file: '{key}' {what}.");
}
