using System.Globalization;
using System.IO;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// The saved settings of one optimizer, handed to the factory registered with <see cref="OptimizerRegistry.Register"/>
/// when a checkpoint is loaded (the counterpart of <see cref="Optimizer.WriteConfig"/>, like Keras' <c>from_config</c>).
/// Missing or mistyped values raise <see cref="InvalidDataException"/> naming the optimizer and the key.
/// </summary>
public sealed class OptimizerConfigReader
{
    private readonly JsonElement _config;

    internal OptimizerConfigReader(string type, JsonElement config, double learningRate)
    {
        Type = type;
        _config = config;
        LearningRate = learningRate;
    }

    /// <summary>The registered type name the settings were saved under (e.g. "Sgd").</summary>
    public string Type { get; }

    /// <summary>α₀, the saved base learning rate (the loader also assigns it to the created optimizer).</summary>
    public double LearningRate { get; }

    /// <summary>True when the settings have a value named <paramref name="name"/>.</summary>
    /// <param name="name">The key written by <see cref="Optimizer.WriteConfig"/>.</param>
    /// <returns>Whether the key is present.</returns>
    public bool Contains(string name)
    {
        ThrowHelper.NotNull(name, nameof(name));
        return _config.TryGetProperty(name, out _);
    }

    /// <summary>A number.</summary>
    /// <param name="name">The key.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The key is missing or not a number.</exception>
    public double GetDouble(string name)
    {
        var e = Get(name, JsonValueKind.Number);
        if (!e.TryGetDouble(out double value))
        {
            ThrowHelper.InvalidData($"Optimizer '{Type}': '{name}' is not a finite number.");
        }

        return value;
    }

    /// <summary>A number, or <paramref name="defaultValue"/> when the key is absent (settings added in a later version).</summary>
    /// <param name="name">The key.</param>
    /// <param name="defaultValue">The value for files that predate the key.</param>
    /// <returns>The value.</returns>
    public double GetDouble(string name, double defaultValue) => Contains(name) ? GetDouble(name) : defaultValue;

    /// <summary>A whole number.</summary>
    /// <param name="name">The key.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The key is missing or not a 64-bit integer.</exception>
    public long GetInt64(string name)
    {
        var e = Get(name, JsonValueKind.Number);
        if (!e.TryGetInt64(out long value))
        {
            ThrowHelper.InvalidData($"Optimizer '{Type}': '{name}' is not a 64-bit integer: {e.GetRawText()}.");
        }

        return value;
    }

    /// <summary>A Boolean.</summary>
    /// <param name="name">The key.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The key is missing or not true/false.</exception>
    public bool GetBoolean(string name)
    {
        ThrowHelper.NotNull(name, nameof(name));
        if (!_config.TryGetProperty(name, out var e) || e.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            ThrowHelper.InvalidData($"Optimizer '{Type}': the settings lack the Boolean '{name}'.");
        }

        return e.GetBoolean();
    }

    /// <summary>A Boolean, or <paramref name="defaultValue"/> when the key is absent.</summary>
    /// <param name="name">The key.</param>
    /// <param name="defaultValue">The value for files that predate the key.</param>
    /// <returns>The value.</returns>
    public bool GetBoolean(string name, bool defaultValue) => Contains(name) ? GetBoolean(name) : defaultValue;

    /// <summary>A string.</summary>
    /// <param name="name">The key.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The key is missing or not a string.</exception>
    public string GetString(string name) => Get(name, JsonValueKind.String).GetString()!;

    private JsonElement Get(string name, JsonValueKind kind)
    {
        ThrowHelper.NotNull(name, nameof(name));
        if (!_config.TryGetProperty(name, out var e) || e.ValueKind != kind)
        {
            ThrowHelper.InvalidData(string.Create(CultureInfo.InvariantCulture, $"Optimizer '{Type}': the settings lack the {kind.ToString().ToLowerInvariant()} '{name}'."));
        }

        return e;
    }
}
