using System.Reflection;
using Spectre.Console.Cli;

namespace Experiments.Runner;

/// <summary>
/// The small container Spectre.Console.Cli needs to hand the console and the experiment catalog to commands.
/// Written by hand: it has two services and three commands, less than pulling in a DI package would cost.
/// </summary>
internal sealed class TypeRegistrar : ITypeRegistrar, ITypeResolver
{
    private readonly Dictionary<Type, List<Func<object>>> registrations = [];

    public void Register(Type service, Type implementation) => Add(service, () => Construct(implementation));

    public void RegisterInstance(Type service, object implementation) => Add(service, () => implementation);

    public void RegisterLazy(Type service, Func<object> factory) => Add(service, factory);

    public ITypeResolver Build() => this;

    public object? Resolve(Type? type)
    {
        if (type is null)
        {
            return null;
        }

        if (registrations.TryGetValue(type, out var factories))
        {
            return factories[^1]();
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var element = type.GetGenericArguments()[0];
            var all = registrations.TryGetValue(element, out var elementFactories) ? elementFactories : [];
            var array = Array.CreateInstance(element, all.Count);
            for (var i = 0; i < all.Count; i++)
            {
                array.SetValue(all[i](), i);
            }

            return array;
        }

        return type.IsClass && !type.IsAbstract ? Construct(type) : null;
    }

    private void Add(Type service, Func<object> factory)
    {
        if (!registrations.TryGetValue(service, out var factories))
        {
            registrations[service] = factories = [];
        }

        factories.Add(factory);
    }

    /// <summary>Calls the constructor with the most parameters, resolving each from the registrations.</summary>
    private object Construct(Type type)
    {
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault() ?? throw new InvalidOperationException($"{type} has no public constructor");
        var arguments = constructor.GetParameters()
            .Select(p => Resolve(p.ParameterType) ?? throw new InvalidOperationException($"Cannot resolve {p.ParameterType} for {type}"))
            .ToArray();
        return constructor.Invoke(arguments);
    }
}
