using System.IO;

namespace ConvNet.Serialization;

/// <summary>What a model file may still make the loader allocate: parameter values (bounded by its data section) and layers.</summary>
internal sealed class LoadBudget
{
    /// <summary>The most layers (containers and their children together) a model file may hold.</summary>
    public const int MaxLayers = 10_000;

    /// <summary>How deep containers may nest.</summary>
    public const int MaxDepth = 32;

    /// <summary>
    /// The most activation values one sample may produce in a loaded model, input and every layer's output together
    /// (2^26 floats, 256 MiB per sample: far above VGG-16 at 224², far below what a crafted file could otherwise ask for).
    /// </summary>
    public const long MaxActivationsPerSample = 1L << 26;

    private readonly long _maxValues;
    private long _values;
    private int _layers;

    public LoadBudget(long maxValues)
    {
        _maxValues = maxValues;
    }

    public int Depth { get; set; }

    public void Reserve(long values, string what)
    {
        if (values < 0 || values > _maxValues - _values)
        {
            throw new InvalidDataException($"{what} needs {values} parameter values; the file's data section holds {_maxValues} in all ({_values} already taken).");
        }

        _values += values;
    }

    public void CountLayer()
    {
        if (++_layers > MaxLayers)
        {
            throw new InvalidDataException($"The architecture has more than {MaxLayers} layers.");
        }
    }
}
