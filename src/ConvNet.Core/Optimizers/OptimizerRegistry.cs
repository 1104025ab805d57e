using System;
using System.Collections.Concurrent;
using System.Collections.Generic;

namespace ConvNet.Optimizers;

/// <summary>
/// Maps the type name an optimizer writes into a checkpoint (<see cref="Optimizer.ConfigType"/>) to a factory that
/// rebuilds it from its saved settings (<see cref="Optimizer.WriteConfig"/>), as Keras' <c>get_config</c> /
/// <c>from_config</c>. The built-in optimizers are registered; register your own before saving or loading it:
/// <code>OptimizerRegistry.Register("MyOpt", reader => new MyOpt(reader.LearningRate, reader.GetDouble("rho")));</code>
/// Thread-safe.
/// </summary>
public static class OptimizerRegistry
{
    private static readonly ConcurrentDictionary<string, Func<OptimizerConfigReader, Optimizer>> Factories = new(StringComparer.Ordinal)
    {
        ["Sgd"] = Sgd.FromConfig,
        ["Adam"] = Adam.FromConfig,
        ["AdamW"] = AdamW.FromConfig,
        ["RmsProp"] = RmsProp.FromConfig,
        ["Adagrad"] = Adagrad.FromConfig,
    };

    /// <summary>The registered type names (the built-ins and any registered since), sorted ordinally; a snapshot.</summary>
    public static IReadOnlyList<string> RegisteredTypes
    {
        get
        {
            var names = new List<string>(Factories.Keys);
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    /// <summary>Registers the factory for optimizers saved as <paramref name="type"/>.</summary>
    /// <param name="type">The name the optimizer's <see cref="Optimizer.ConfigType"/> returns (its class name by default).</param>
    /// <param name="factory">Builds the optimizer from its settings; the loader then sets its learning rate, step count and state.</param>
    /// <exception cref="ArgumentException"><paramref name="type"/> is empty or already registered.</exception>
    public static void Register(string type, Func<OptimizerConfigReader, Optimizer> factory)
    {
        ThrowHelper.NotNull(type, nameof(type));
        ThrowHelper.NotNull(factory, nameof(factory));
        if (string.IsNullOrWhiteSpace(type))
        {
            ThrowHelper.Argument(nameof(type), "The optimizer type name must not be empty.");
        }

        if (!Factories.TryAdd(type, factory))
        {
            ThrowHelper.Argument(nameof(type), $"An optimizer factory is already registered as '{type}'.");
        }
    }

    /// <summary>True when a factory is registered for <paramref name="type"/>.</summary>
    /// <param name="type">The type name.</param>
    /// <returns>Whether checkpoints of that optimizer can be loaded.</returns>
    public static bool IsRegistered(string type)
    {
        ThrowHelper.NotNull(type, nameof(type));
        return Factories.ContainsKey(type);
    }

    internal static bool TryGetFactory(string type, out Func<OptimizerConfigReader, Optimizer> factory) =>
        Factories.TryGetValue(type, out factory!);
}
