using System;
using System.Collections.Generic;
using System.Text.Json;
using ConvNet.Layers;

namespace ConvNet.Serialization;

/// <summary>
/// Receives a layer's configuration in <see cref="Layer.WriteConfig"/>: named settings (numbers, flags, text, integer
/// arrays) and, for containers, child layers. The matching <see cref="LayerConfigReader"/> reads them back with bounds.
/// </summary>
public sealed class LayerConfigWriter
{
    private readonly Utf8JsonWriter _w;
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    internal LayerConfigWriter(Utf8JsonWriter writer)
    {
        _w = writer;
    }

    /// <summary>Writes an integer setting.</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="value">The value.</param>
    public void Write(string key, int value)
    {
        Key(key);
        _w.WriteNumber(key, value);
    }

    /// <summary>Writes a floating-point setting (must be finite).</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="value">The value.</param>
    public void Write(string key, double value)
    {
        Key(key);
        ThrowHelper.Finite(value, key);
        _w.WriteNumber(key, value);
    }

    /// <summary>Writes a flag.</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="value">The value.</param>
    public void Write(string key, bool value)
    {
        Key(key);
        _w.WriteBoolean(key, value);
    }

    /// <summary>Writes a text setting.</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="value">The value.</param>
    public void Write(string key, string value)
    {
        ThrowHelper.NotNull(value, nameof(value));
        Key(key);
        _w.WriteString(key, value);
    }

    /// <summary>Writes an integer array setting.</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="values">The values.</param>
    public void Write(string key, ReadOnlySpan<int> values)
    {
        Key(key);
        _w.WriteStartArray(key);
        foreach (int v in values)
        {
            _w.WriteNumberValue(v);
        }

        _w.WriteEndArray();
    }

    /// <summary>Writes an array of integer arrays (e.g. a connection table's input sets or padding pairs).</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="rows">The rows.</param>
    public void Write(string key, IReadOnlyList<int[]> rows)
    {
        ThrowHelper.NotNull(rows, nameof(rows));
        Key(key);
        _w.WriteStartArray(key);
        foreach (var row in rows)
        {
            _w.WriteStartArray();
            foreach (int v in row)
            {
                _w.WriteNumberValue(v);
            }

            _w.WriteEndArray();
        }

        _w.WriteEndArray();
    }

    /// <summary>Writes a child layer (its type, name and own configuration).</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="child">The child.</param>
    public void Write(string key, Layer child)
    {
        ThrowHelper.NotNull(child, nameof(child));
        Key(key);
        _w.WritePropertyName(key);
        WriteLayer(_w, child);
    }

    /// <summary>Writes a list of child layers.</summary>
    /// <param name="key">The setting's name, unique within the layer.</param>
    /// <param name="children">The children, in order.</param>
    public void Write(string key, IReadOnlyList<Layer> children)
    {
        ThrowHelper.NotNull(children, nameof(children));
        Key(key);
        _w.WriteStartArray(key);
        foreach (var c in children)
        {
            WriteLayer(_w, c);
        }

        _w.WriteEndArray();
    }

    /// <summary>Writes one layer as a JSON object: "type", "name", then its configuration.</summary>
    internal static void WriteLayer(Utf8JsonWriter w, Layer layer)
    {
        w.WriteStartObject();
        w.WriteString("type", layer.TypeName);
        w.WriteString("name", layer.Name);
        var config = new LayerConfigWriter(w);
        config._keys.Add("type");
        config._keys.Add("name");
        layer.WriteConfig(config);
        w.WriteEndObject();
    }

    private void Key(string key)
    {
        ThrowHelper.NotNull(key, nameof(key));
        if (!_keys.Add(key))
        {
            ThrowHelper.Argument(nameof(key), $"The setting '{key}' is written twice (or is reserved: 'type' and 'name' are).");
        }
    }
}
