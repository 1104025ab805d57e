using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Threading;
using ConvNet.Layers;

namespace ConvNet.Serialization;

/// <summary>
/// Maps a layer's <see cref="Layer.TypeName"/> to the factory that rebuilds it from its saved configuration (the other
/// half of <see cref="Layer.WriteConfig"/>). The built-in layers are registered; register your own layer once before
/// loading a model that contains it. A model naming an unregistered type fails to load with a message saying so.
/// </summary>
public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<LayerConfigReader, Layer>> Factories = new(StringComparer.Ordinal);
    private static readonly Lock Sync = new();

    static LayerRegistry()
    {
        BuiltInLayers.Register(Factories);
    }

    /// <summary>Registers (or replaces) the factory for a layer type.</summary>
    /// <param name="typeName">The layer's <see cref="Layer.TypeName"/>.</param>
    /// <param name="factory">Builds the layer from the settings its WriteConfig wrote (bounds-checked by the reader).</param>
    public static void Register(string typeName, Func<LayerConfigReader, Layer> factory)
    {
        ThrowHelper.NotNull(typeName, nameof(typeName));
        ThrowHelper.NotNull(factory, nameof(factory));
        if (typeName.Length == 0)
        {
            ThrowHelper.Argument(nameof(typeName), "A layer type name must not be empty.");
        }

        lock (Sync)
        {
            Factories[typeName] = factory;
        }
    }

    /// <summary>Whether a factory is registered for <paramref name="typeName"/>.</summary>
    /// <param name="typeName">The layer type name.</param>
    /// <returns>True when models naming it can be loaded.</returns>
    public static bool IsRegistered(string typeName)
    {
        ThrowHelper.NotNull(typeName, nameof(typeName));
        lock (Sync)
        {
            return Factories.ContainsKey(typeName);
        }
    }

    internal static Layer Read(JsonElement e, LoadBudget budget)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException("A layer entry in the model file must be an object with a 'type' and a 'name' string.");
        }

        string type = t.GetString()!, name = n.GetString()!;
        if (name.Length > 256)
        {
            throw new InvalidDataException($"A {type} layer's name is longer than 256 characters.");
        }

        Func<LayerConfigReader, Layer>? factory;
        lock (Sync)
        {
            Factories.TryGetValue(type, out factory);
        }

        if (factory is null)
        {
            throw new InvalidDataException($"Unknown layer type '{type}' ('{name}') in the model file; register a factory with LayerRegistry.Register(\"{type}\", …) before loading.");
        }

        budget.CountLayer();
        if (++budget.Depth > LoadBudget.MaxDepth)
        {
            throw new InvalidDataException($"Blocks nest deeper than {LoadBudget.MaxDepth} levels in the model file.");
        }

        try
        {
            var layer = factory(new LayerConfigReader(e, budget, type, name));
            if (layer is null)
            {
                throw new InvalidDataException($"The factory for '{type}' returned no layer.");
            }

            layer.Name = name;
            return layer;
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{type} '{name}' in the model file is invalid: {ex.Message}", ex);
        }
        finally
        {
            budget.Depth--;
        }
    }
}
